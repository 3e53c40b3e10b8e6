"""Upgrading a database of the first schema: what the old export recorded becomes exported
collections of the new schedule, so a due date already collected is never collected again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from portal_harness import database

from portal.storage import collections as store
from portal.storage import db
from portal.storage import invoices as invoice_store
from portal.storage.tables import collections


def _at_first_revision(url: str) -> sa.engine.Engine:
    engine = db.create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        conn.execute(
            sa.text(
                "INSERT INTO invoices (kassenzeichen, amount_cents, currency, purpose, due_date,"
                " further_due_dates, payer_name, payment_state, mandate_sequence) VALUES"
                " ('410020260003', 12345, 'EUR', 'Grundsteuer', '2027-02-15', '2027-05-15',"
                " 'J', 'open', 1)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO mandates (id, invoice_id, kassenzeichen, status, account_holder,"
                " iban_encrypted, iban_masked, email, channel, consent_text_version,"
                " consent_sha256, code_hash, code_sent_at, code_expires_at, failed_attempts,"
                " created_at, mandate_reference) VALUES ('m1', 1, '410020260003', 'active', 'J',"
                " 'x', 'x', 'j@example.org', 'test', 'v', 's', 'h', '2026-12-01', '2026-12-01',"
                " 0, '2026-12-01', '410020260003-001')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO collections (mandate_id, collection_date, sequence_type,"
                " amount_cents, end_to_end_id, exported_at) VALUES ('m1', '2027-02-15', 'FRST',"
                " 12345, '410020260003-001-20270215', '2027-02-01 08:00:00')"
            )
        )
    return engine


def test_old_collections_become_exported_due_dates(tmp_path: Path) -> None:
    for kind in ("sqlite", "postgresql"):
        with database(kind, tmp_path / kind) as url:
            (tmp_path / kind).mkdir(exist_ok=True)
            engine = _at_first_revision(url)
            try:
                db.migrate(engine)
                with engine.begin() as conn:
                    (row,) = conn.execute(sa.select(collections)).all()
                    invoice = invoice_store.find(conn, "410020260003")
                    taken = store.taken_due_dates(conn, invoice.id if invoice else 0)
                    language = conn.execute(sa.text("SELECT language FROM mandates")).scalar()
            finally:
                engine.dispose()
            assert (row.status, row.invoice_id, row.due_date) == (
                "exported",
                1,
                dt.date(2027, 2, 15),
            )
            assert taken == {dt.date(2027, 2, 15)}
            assert language == "de"
