"""Invoices: seeding from the demo file, lookup and the lookup throttle."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from portal.storage.tables import collections, invoices, lookup_failures, mandates


@dataclass(frozen=True)
class Invoice:
    id: int
    kassenzeichen: str
    amount_cents: int
    currency: str
    purpose: str
    due_date: dt.date
    further_due_dates: tuple[dt.date, ...]
    payer_name: str
    payment_state: str

    @property
    def due_dates(self) -> tuple[dt.date, ...]:
        return (self.due_date, *self.further_due_dates)


def seed(engine: Engine, rows: list[dict[str, Any]]) -> int:
    """Insert the demo invoices when the table is empty; return how many were inserted."""
    with engine.begin() as conn:
        if conn.execute(sa.select(sa.func.count()).select_from(invoices)).scalar_one():
            return 0
        for row in rows:
            conn.execute(invoices.insert().values(**row, mandate_sequence=0))
    return len(rows)


def find(conn: Connection, kassenzeichen: str) -> Invoice | None:
    row = conn.execute(
        sa.select(invoices).where(invoices.c.kassenzeichen == kassenzeichen)
    ).one_or_none()
    if row is None:
        return None
    further = tuple(dt.date.fromisoformat(d) for d in row.further_due_dates.split(",") if d)
    return Invoice(
        id=row.id,
        kassenzeichen=row.kassenzeichen,
        amount_cents=row.amount_cents,
        currency=row.currency,
        purpose=row.purpose,
        due_date=row.due_date,
        further_due_dates=further,
        payer_name=row.payer_name,
        payment_state=row.payment_state,
    )


def active_mandate_id(conn: Connection, kassenzeichen: str) -> str | None:
    value = conn.execute(
        sa.select(mandates.c.id).where(
            mandates.c.kassenzeichen == kassenzeichen, mandates.c.status == "active"
        )
    ).scalar_one_or_none()
    return None if value is None else str(value)


def debit_under_way(conn: Connection, invoice_id: int) -> bool:
    """Whether a direct debit still moves money for this invoice: a collection planned,
    announced or with the bank. False when every collection came back (returned) or was
    cancelled: then the citizen has to pay another way, whatever mandate is active."""
    statuses = set(
        conn.execute(
            sa.select(collections.c.status).where(collections.c.invoice_id == invoice_id)
        ).scalars()
    )
    return not statuses or bool(statuses & {"planned", "notified", "exported"})


def record_failure(
    conn: Connection, kassenzeichen: str, now: dt.datetime, client: str | None = None
) -> None:
    """One failed lookup; `client` is the keyed hash of the conversation (portal/limits.py)."""
    conn.execute(
        lookup_failures.insert().values(kassenzeichen=kassenzeichen, client=client, failed_at=now)
    )


def match(
    conn: Connection,
    kassenzeichen: str,
    amount_cents: int,
    now: dt.datetime,
    client: str | None = None,
) -> Invoice | None:
    """The invoice when Kassenzeichen and amount both match; a miss is recorded for the throttle."""
    invoice = find(conn, kassenzeichen)
    if invoice is None or invoice.amount_cents != amount_cents:
        record_failure(conn, kassenzeichen, now, client)
        return None
    return invoice
