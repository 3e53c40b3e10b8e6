"""Migration 0005 blanks the unkeyed SHA-256 request fingerprints an older portal kept in its
idempotency records (a German IBAN falls to brute force over them), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from portal_harness import MANDATE, database

from portal.storage import db

BLANKED = importlib.import_module(
    "portal.migrations.versions.0005_blank_unkeyed_request_hashes"
).BLANKED
OLD_HASH = hashlib.sha256(json.dumps(MANDATE, sort_keys=True).encode()).hexdigest()


def _at_0004(url: str) -> sa.engine.Engine:
    engine = db.create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS))
    now = dt.datetime(2026, 12, 1, 8, 0)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0004")
        conn.execute(
            sa.text(
                "INSERT INTO invoices (kassenzeichen, amount_cents, currency, purpose, due_date,"
                " further_due_dates, payer_name, payment_state, mandate_sequence) VALUES"
                " ('410020260001', 4800, 'EUR', 'Hundesteuer', '2027-02-15', '', 'E', 'open', 1)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO mandates (id, invoice_id, kassenzeichen, status, account_holder,"
                " iban_encrypted, iban_masked, email, channel, consent_text_version,"
                " consent_sha256, code_hash, code_sent_at, code_expires_at, failed_attempts,"
                " created_at) VALUES ('m1', 1, '410020260001', 'pending_signature', 'E', 'x',"
                " 'x', 'e@example.org', 'test', 'v', 's', 'h', :now, :now, 0, :now)"
            ),
            {"now": now},
        )
        conn.execute(
            sa.text(
                "INSERT INTO idempotency_keys (key, request_hash, mandate_id, response,"
                " created_at) VALUES ('chat-1', :hash, 'm1', '{}', :now)"
            ),
            {"hash": OLD_HASH, "now": now},
        )
    return engine


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_old_request_fingerprints_are_blanked(tmp_path: Path, kind: str) -> None:
    with database(kind, tmp_path) as url:
        engine = _at_0004(url)
        try:
            with engine.connect() as conn:
                before = conn.execute(sa.text("SELECT request_hash FROM idempotency_keys"))
                assert before.scalar_one() == OLD_HASH  # what a database copy gave away
            db.migrate(engine)
            with engine.connect() as conn:
                rows = conn.execute(
                    sa.text("SELECT key, request_hash, mandate_id FROM idempotency_keys")
                ).all()
                version = conn.execute(sa.text("SELECT version_num FROM alembic_version"))
                assert version.scalar_one() >= "0005"
        finally:
            engine.dispose()
    assert [tuple(row) for row in rows] == [("chat-1", BLANKED, "m1")]
    # the marker is no hex digest, so no keyed fingerprint can ever equal it
    assert not all(char in "0123456789abcdef" for char in BLANKED)
