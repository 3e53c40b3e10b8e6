"""`python -m portal retention` on SQLite and PostgreSQL, the time given by BUERGERBOT_NOW (the
one injectable clock): each kind of record goes when its period has passed and not a day
earlier; active mandates stay for ever; an ended mandate stays 14 months after the later of
its end and its last collection, and then loses its personal data but keeps its row when
collections (accounting records) refer to it."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from portal_harness import ROOT, TOKEN, database

from portal.retention import months_before
from portal.storage.tables import (
    appointments,
    collections,
    idempotency_keys,
    invoices,
    mandates,
    outbox,
    service_request_events,
    service_requests,
)

pytestmark = pytest.mark.integration  # runs the command as a process

T = dt.datetime(2026, 1, 15, 9, 0)  # naive UTC, as stored
DAY = dt.timedelta(days=1)


def months_after(moment: dt.datetime, months: int) -> dt.datetime:
    return months_before(moment, -months)


def run(db_url: str, var: Path, at: dt.datetime, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PORTAL_RETENTION_")},
        "PORTAL_API_TOKEN": TOKEN,
        "PORTAL_DB_URL": db_url,
        "VAR_DIR": str(var),
        "SMTP_HOST": "127.0.0.1",
        "BUERGERBOT_NOW": at.replace(tzinfo=dt.timezone.utc).isoformat(),
    }
    for name in ("PORTAL_ENCRYPTION_KEY", "BUERGERBOT_CLOCK_FILE"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "portal", "retention", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def mandate(mandate_id: str, invoice_id: int, status: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": mandate_id, "invoice_id": invoice_id, "kassenzeichen": "999900000001",
        "status": status, "account_holder": "Erika Mustermann",
        "iban_encrypted": "gAAAA-ciphertext", "iban_masked": "DE89 **** **** **** **30 00",
        "bic": None, "debtor_address": "Bahnhofstraße 12, 35037 Marburg",
        "email": "erika@example.org", "channel": "test", "consent_text_version": "v1",
        "consent_sha256": "0" * 64, "code_hash": "1" * 64, "code_sent_at": T,
        "code_expires_at": T + dt.timedelta(minutes=15), "failed_attempts": 0,
        "mandate_reference": None, "created_at": T, "evidence": '{"code": "ok"}',
        "document": b"%PDF-sealed",
    }  # fmt: skip
    row.update(values)
    return row


@pytest.fixture(params=["sqlite", "postgresql"])
def portal_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    with database(str(request.param), tmp_path) as url:
        var = tmp_path / "var"
        run(url, var, T, "--dry-run")  # migrates and seeds like every portal command
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            invoice_id = conn.execute(
                sa.insert(invoices).values(
                    kassenzeichen="999900000001", amount_cents=4800, currency="EUR",
                    purpose="Hundesteuer", due_date=T.date(), further_due_dates="",
                    payer_name="Erika Mustermann", payment_state="open", mandate_sequence=5,
                )
            ).inserted_primary_key[0]  # fmt: skip
            rows = [
                mandate("m-pending", invoice_id, "pending_signature"),
                mandate("m-rejected", invoice_id, "rejected", failed_attempts=3),
                mandate("m-active", invoice_id, "active", signed_at=T,
                        mandate_reference="999900000001-001"),
                mandate("m-revoked", invoice_id, "revoked", signed_at=T - 90 * DAY,
                        revoked_at=T, mandate_reference="999900000001-002"),
                mandate("m-collected", invoice_id, "revoked", signed_at=T - 200 * DAY,
                        revoked_at=T - 60 * DAY, mandate_reference="999900000001-003"),
            ]  # fmt: skip
            for row in rows:
                conn.execute(sa.insert(mandates).values(**row))
            conn.execute(
                sa.insert(idempotency_keys).values(
                    key="k-pending", request_hash="h", mandate_id="m-pending", response="{}",
                    created_at=T,
                )
            )  # fmt: skip
            for mandate_id in ("m-pending", "m-collected"):
                conn.execute(
                    sa.insert(outbox).values(
                        kind="signing_code", mandate_id=mandate_id, to_address="erika@example.org",
                        subject="Ihr Code", body="", status="sent", attempts=1,
                        next_attempt_at=T, created_at=T, sent_at=T,
                    )
                )  # fmt: skip
            # the collected mandate's last collection is after its end: the later one counts
            conn.execute(
                sa.insert(collections).values(
                    mandate_id="m-collected", invoice_id=invoice_id, due_date=T.date(),
                    collection_date=T.date(), status="exported", sequence_type="FRST",
                    amount_cents=4800, end_to_end_id="E2E-RETENTION-1", planned_at=T - 30 * DAY,
                    exported_at=T - 2 * DAY,
                )
            )  # fmt: skip
            request_id = conn.execute(
                sa.insert(service_requests).values(
                    reference="SR-2026-999001", type="bulky_waste", status="received",
                    payload='{"address": "Bahnhofstraße 12"}', created_at=T,
                )
            ).inserted_primary_key[0]  # fmt: skip
            for at in (T, T + 10 * DAY):
                conn.execute(
                    sa.insert(service_request_events).values(
                        request_id=request_id, status="received", at=at, note="eingegangen"
                    )
                )
            conn.execute(
                sa.insert(appointments).values(
                    id="a-1", slot_id="slot-retention-1", service="personalausweis",
                    start=T - dt.timedelta(minutes=15), end=T, name="Erika Mustermann",
                    email="erika@example.org", created_at=T - 5 * DAY,
                )
            )  # fmt: skip
        engine.dispose()
        yield url, var


def state(url: str) -> dict[str, Any]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = {
            "mandates": {r.id: r for r in conn.execute(sa.select(mandates))},
            "keys": [r.key for r in conn.execute(sa.select(idempotency_keys))],
            "mails": sorted(str(r.mandate_id) for r in conn.execute(sa.select(outbox))),
            "requests": [r.reference for r in conn.execute(sa.select(service_requests))],
            "request_events": conn.execute(
                sa.select(sa.func.count()).select_from(service_request_events)
            ).scalar_one(),
            "appointments": [r.id for r in conn.execute(sa.select(appointments))],
            "collections": [r.end_to_end_id for r in conn.execute(sa.select(collections))],
        }
    engine.dispose()
    return found


def test_each_record_goes_when_its_period_has_passed(portal_db: tuple[str, Path]) -> None:
    url, var = portal_db
    dry = run(url, var, T + 400 * DAY, "--dry-run")
    assert "[dry run] mandates never signed: 1" in dry.stdout
    assert "[dry run] service requests: 1" in dry.stdout
    assert len(state(url)["mandates"]) == 5 and state(url)["appointments"] == ["a-1"]

    run(url, var, T + 29 * DAY)
    now = state(url)
    assert set(now["mandates"]) == {
        "m-pending",
        "m-rejected",
        "m-active",
        "m-revoked",
        "m-collected",
    }
    assert now["appointments"] == ["a-1"]

    done = run(url, var, T + 31 * DAY)
    assert "mandates never signed: 1" in done.stdout and "appointments: 1" in done.stdout
    now = state(url)
    assert "m-pending" not in now["mandates"] and "m-rejected" in now["mandates"]
    assert now["keys"] == [] and now["mails"] == ["m-collected"]  # its record and mail went too
    assert now["appointments"] == []

    run(url, var, T + 91 * DAY)
    assert "m-rejected" not in state(url)["mandates"]

    run(url, var, T + 10 * DAY + 364 * DAY)  # a year after the request's last change: not yet
    assert state(url)["requests"] == ["SR-2026-999001"]
    run(url, var, T + 10 * DAY + 366 * DAY)
    now = state(url)
    assert now["requests"] == [] and now["request_events"] == 0

    # 14 months after the end (revoked) / after the last collection (collected)
    run(url, var, months_after(T, 14) - DAY)
    now = state(url)
    assert {"m-revoked", "m-collected", "m-active"} <= set(now["mandates"])
    assert now["mandates"]["m-collected"].email == "erika@example.org"
    run(url, var, months_after(T, 14) + DAY)
    now = state(url)
    assert "m-revoked" not in now["mandates"]
    erased = now["mandates"]["m-collected"]
    assert (erased.account_holder, erased.email, erased.iban_encrypted) == ("", "", "")
    assert erased.debtor_address is None and erased.evidence is None and erased.document is None
    assert erased.iban_masked == "DE89 **** **** **** **30 00"  # what the accounts show stays
    assert now["collections"] == ["E2E-RETENTION-1"]

    later = run(url, var, T + 3 * 365 * DAY)
    assert "ended mandates with collections, personal data erased: 0" in later.stdout
    now = state(url)
    assert set(now["mandates"]) == {"m-active", "m-collected"}  # active mandates stay for ever
    assert now["mandates"]["m-active"].email == "erika@example.org"


def test_periods_are_settings_and_the_law_is_a_floor(tmp_path: Path) -> None:
    env = {**os.environ, "PORTAL_API_TOKEN": TOKEN, "VAR_DIR": str(tmp_path / "var"),
           "PORTAL_DB_URL": f"sqlite:///{tmp_path / 'portal.db'}"}  # fmt: skip
    for name, value in (
        ("PORTAL_RETENTION_ENDED_MONTHS", "12"),
        ("PORTAL_RETENTION_PENDING_DAYS", "x"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "portal", "retention", "--dry-run"],
            cwd=ROOT, env={**env, name: value}, capture_output=True, text=True, timeout=120,
            check=False,
        )  # fmt: skip
        assert done.returncode == 2 and name in done.stderr
