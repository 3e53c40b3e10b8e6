"""Mandates, their idempotency keys and reference sequence numbers."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from portal.storage.tables import collections, idempotency_keys, invoices, mandates

SUMMARY_COLUMNS = [c for c in mandates.c if c.name != "document"]


def insert(
    conn: Connection, row: dict[str, Any], key: str, request_hash: str, response: dict[str, Any]
) -> None:
    """Insert the mandate and its idempotency key; a reused key raises ``IntegrityError``."""
    conn.execute(mandates.insert().values(**row))
    conn.execute(
        idempotency_keys.insert().values(
            key=key,
            request_hash=request_hash,
            mandate_id=row["id"],
            response=json.dumps(response),
            created_at=row["created_at"],
        )
    )


def stored_response(conn: Connection, key: str) -> tuple[str, dict[str, Any]] | None:
    """The request hash and answer recorded for an idempotency key."""
    row = conn.execute(
        sa.select(idempotency_keys.c.request_hash, idempotency_keys.c.response).where(
            idempotency_keys.c.key == key
        )
    ).one_or_none()
    if row is None:
        return None
    return str(row.request_hash), dict(json.loads(row.response))


def discard(conn: Connection, mandate_id: str) -> None:
    """Remove a mandate whose signing code could not be sent (so a retry starts afresh)."""
    conn.execute(idempotency_keys.delete().where(idempotency_keys.c.mandate_id == mandate_id))
    conn.execute(mandates.delete().where(mandates.c.id == mandate_id))


def get(conn: Connection, mandate_id: str, *, lock: bool = False) -> Row | None:
    query = sa.select(*SUMMARY_COLUMNS).where(mandates.c.id == mandate_id)
    if lock:
        query = query.with_for_update()
    return conn.execute(query).one_or_none()


def for_kassenzeichen(conn: Connection, kassenzeichen: str) -> list[Row]:
    query = (
        sa.select(*SUMMARY_COLUMNS)
        .where(mandates.c.kassenzeichen == kassenzeichen)
        .order_by(mandates.c.created_at, mandates.c.id)
    )
    return list(conn.execute(query).all())


def update(conn: Connection, mandate_id: str, **values: Any) -> None:
    conn.execute(mandates.update().where(mandates.c.id == mandate_id).values(**values))


def next_sequence(conn: Connection, invoice_id: int) -> int:
    """Take the next mandate sequence number of an invoice; the row lock serialises signers."""
    conn.execute(
        invoices.update()
        .where(invoices.c.id == invoice_id)
        .values(mandate_sequence=invoices.c.mandate_sequence + 1)
    )
    value = conn.execute(
        sa.select(invoices.c.mandate_sequence).where(invoices.c.id == invoice_id)
    ).scalar_one()
    return int(value)


def supersede_active(conn: Connection, kassenzeichen: str, at: dt.datetime) -> None:
    conn.execute(
        mandates.update()
        .where(mandates.c.kassenzeichen == kassenzeichen, mandates.c.status == "active")
        .values(status="superseded", superseded_at=at)
    )


def document(conn: Connection, mandate_id: str) -> bytes | None:
    value = conn.execute(
        sa.select(mandates.c.document).where(mandates.c.id == mandate_id)
    ).scalar_one_or_none()
    return None if value is None else bytes(value)


def active_with_invoices(conn: Connection) -> list[Row]:
    """Every active mandate with the columns of its invoice that collections need."""
    query = (
        sa.select(
            mandates.c.id,
            mandates.c.account_holder,
            mandates.c.iban_encrypted,
            mandates.c.bic,
            mandates.c.mandate_reference,
            mandates.c.signed_at,
            mandates.c.first_collection_date,
            invoices.c.amount_cents,
            invoices.c.purpose,
            invoices.c.kassenzeichen,
            invoices.c.due_date,
            invoices.c.further_due_dates,
        )
        .join(invoices, invoices.c.id == mandates.c.invoice_id)
        .where(mandates.c.status == "active")
        .order_by(mandates.c.mandate_reference)
    )
    return list(conn.execute(query).all())


def recorded_collections(conn: Connection, mandate_id: str) -> list[Row]:
    query = (
        sa.select(collections)
        .where(collections.c.mandate_id == mandate_id)
        .order_by(collections.c.collection_date)
    )
    return list(conn.execute(query).all())


def record_collection(conn: Connection, **values: Any) -> None:
    conn.execute(collections.insert().values(**values))


def evidence_json(evidence: dict[str, Any]) -> str:
    return json.dumps(evidence, sort_keys=True, default=str)
