"""Collections (one due date of an invoice through one mandate) and the export batches."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from portal.storage.tables import collections, export_batches, invoices, mandates

# a due date with a collection in one of these states is taken: no other mandate collects it
TAKEN = ("planned", "notified", "exported", "returned")
OPEN = ("planned", "notified")  # not yet handed to the bank: may still be cancelled


def taken_due_dates(conn: Connection, invoice_id: int) -> set[dt.date]:
    query = sa.select(collections.c.due_date).where(
        collections.c.invoice_id == invoice_id, collections.c.status.in_(TAKEN)
    )
    return set(conn.execute(query).scalars().all())


def insert(conn: Connection, **values: Any) -> None:
    conn.execute(collections.insert().values(**values))


def cancel_open(
    conn: Connection,
    at: dt.datetime,
    *,
    mandate_id: str | None = None,
    invoice_id: int | None = None,
) -> int:
    """Cancel what is not yet handed to the bank: of one mandate, or of an invoice's mandates."""
    query = collections.update().where(collections.c.status.in_(OPEN))
    if mandate_id is not None:
        query = query.where(collections.c.mandate_id == mandate_id)
    if invoice_id is not None:
        query = query.where(collections.c.invoice_id == invoice_id)
    return int(conn.execute(query.values(status="cancelled", cancelled_at=at)).rowcount)


def for_mandate(conn: Connection, mandate_id: str) -> list[Row]:
    query = (
        sa.select(collections)
        .where(collections.c.mandate_id == mandate_id)
        .order_by(collections.c.due_date, collections.c.id)
    )
    return list(conn.execute(query).all())


def for_invoice(conn: Connection, invoice_id: int) -> list[Row]:
    query = (
        sa.select(collections)
        .where(collections.c.invoice_id == invoice_id)
        .order_by(collections.c.due_date, collections.c.id)
    )
    return list(conn.execute(query).all())


_DETAIL = [
    collections,
    mandates.c.account_holder,
    mandates.c.iban_encrypted,
    mandates.c.iban_masked,
    mandates.c.bic,
    mandates.c.debtor_address,
    mandates.c.mandate_reference,
    mandates.c.signed_at,
    mandates.c.email,
    mandates.c.language,
    mandates.c.status.label("mandate_status"),
    invoices.c.kassenzeichen,
    invoices.c.purpose,
]


def _detailed() -> sa.sql.Select:
    return (
        sa.select(*_DETAIL)
        .join(mandates, mandates.c.id == collections.c.mandate_id)
        .join(invoices, invoices.c.id == collections.c.invoice_id)
    )


def to_prenotify(conn: Connection, until: dt.date) -> list[Row]:
    """Planned collections of active mandates due to be announced by `until`."""
    query = (
        _detailed()
        .where(
            collections.c.status == "planned",
            collections.c.collection_date <= until,
            mandates.c.status == "active",
        )
        .order_by(collections.c.collection_date, collections.c.id)
        .with_for_update(of=collections)
    )
    return list(conn.execute(query).all())


def ready_for_export(conn: Connection, day: dt.date, notified_by: dt.datetime) -> list[Row]:
    """Collections on `day` pre-notified in time and not yet in a batch, of active mandates."""
    query = (
        _detailed()
        .where(
            collections.c.status == "notified",
            collections.c.collection_date == day,
            collections.c.batch_id.is_(None),
            collections.c.prenotified_at <= notified_by,
            mandates.c.status == "active",
        )
        .order_by(mandates.c.mandate_reference, collections.c.due_date)
        .with_for_update(of=collections)
    )
    return list(conn.execute(query).all())


def not_prenotified_on(conn: Connection, day: dt.date) -> int:
    """Collections planned for `day` that were not announced in time: the export leaves them out."""
    query = (
        sa.select(sa.func.count())
        .select_from(collections.join(mandates, mandates.c.id == collections.c.mandate_id))
        .where(
            collections.c.collection_date == day,
            collections.c.status.in_(OPEN),
            collections.c.batch_id.is_(None),
            mandates.c.status == "active",
        )
    )
    return int(conn.execute(query).scalar_one())


def by_end_to_end_id(conn: Connection, end_to_end_id: str, *, lock: bool = False) -> Row | None:
    query = _detailed().where(collections.c.end_to_end_id == end_to_end_id)
    if lock:
        query = query.with_for_update(of=collections)
    return conn.execute(query).one_or_none()


def end_to_end_ids_of_batch(conn: Connection, batch_id: str, sequence: str | None) -> list[str]:
    """The debits of a batch (of one sequence type: a payment information block)."""
    query = sa.select(collections.c.end_to_end_id).where(collections.c.batch_id == batch_id)
    if sequence is not None:
        query = query.where(collections.c.sequence_type == sequence)
    return [str(v) for v in conn.execute(query.order_by(collections.c.id)).scalars().all()]


def update(conn: Connection, collection_id: int, **values: Any) -> None:
    conn.execute(collections.update().where(collections.c.id == collection_id).values(**values))


def mandate_has_collected(conn: Connection, mandate_id: str, before: dt.date) -> bool:
    """Whether an earlier collection of the mandate went to the bank and was not returned
    (then the next one is RCUR; after a return of the first, FRST again)."""
    query = sa.select(sa.func.count()).where(
        collections.c.mandate_id == mandate_id,
        collections.c.status == "exported",
        collections.c.collection_date < before,
    )
    return bool(conn.execute(query).scalar_one())


def last_exported_at(conn: Connection, mandate_id: str) -> dt.datetime | None:
    value = conn.execute(
        sa.select(sa.func.max(collections.c.exported_at)).where(
            collections.c.mandate_id == mandate_id, collections.c.status == "exported"
        )
    ).scalar_one_or_none()
    return None if value is None else value  # type: ignore[no-any-return]


def returned(conn: Connection, limit: int = 200) -> list[Row]:
    query = (
        _detailed()
        .where(collections.c.status == "returned")
        .order_by(collections.c.returned_at.desc())
        .limit(limit)
    )
    return list(conn.execute(query).all())


# export batches


def batches_on(conn: Connection, day: dt.date) -> list[Row]:
    query = (
        sa.select(
            export_batches.c.id,
            export_batches.c.collection_date,
            export_batches.c.created_at,
            export_batches.c.transactions,
            export_batches.c.total_cents,
        )
        .where(export_batches.c.collection_date == day)
        .order_by(export_batches.c.created_at, export_batches.c.id)
    )
    return list(conn.execute(query).all())


def batch_xml(conn: Connection, batch_id: str) -> bytes | None:
    value = conn.execute(
        sa.select(export_batches.c.xml).where(export_batches.c.id == batch_id)
    ).scalar_one_or_none()
    return None if value is None else bytes(value)


def insert_batch(conn: Connection, **values: Any) -> None:
    conn.execute(export_batches.insert().values(**values))


def batch_count_on(conn: Connection, day: dt.date) -> int:
    return int(
        conn.execute(
            sa.select(sa.func.count())
            .select_from(export_batches)
            .where(export_batches.c.collection_date == day)
        ).scalar_one()
    )


def prenotified(conn: Connection, mandate_id: str, due_date: dt.date, at: dt.datetime) -> None:
    """The planned collection of this due date was announced (by the confirmation mail)."""
    conn.execute(
        collections.update()
        .where(
            collections.c.mandate_id == mandate_id,
            collections.c.due_date == due_date,
            collections.c.status == "planned",
        )
        .values(status="notified", prenotified_at=at)
    )
