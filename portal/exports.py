"""pain.008.001.08 export of the direct debits due on a day (built with sepaxml).

Each exported collection is recorded: a mandate's first collection is FRST, every later one
RCUR. Exporting the same day again gives the same collections with the same sequence types.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sepaxml import SepaDD
from sqlalchemy.engine import Connection

from portal import mandate_flow
from portal.context import Portal
from portal.storage import invoices
from portal.storage import mandates as store

SCHEMA = "pain.008.001.08"


def _due_on(row: Any, day: dt.date) -> bool:
    further = tuple(dt.date.fromisoformat(d) for d in row.further_due_dates.split(",") if d)
    invoice = invoices.Invoice(
        id=0,
        kassenzeichen=row.kassenzeichen,
        amount_cents=row.amount_cents,
        currency="EUR",
        purpose=row.purpose,
        due_date=row.due_date,
        further_due_dates=further,
        payer_name="",
        payment_state="open",
    )
    return day in mandate_flow.collection_dates(invoice, row.first_collection_date)


def _sequence_type(conn: Connection, row: Any, day: dt.date, now: dt.datetime) -> str:
    recorded = store.recorded_collections(conn, row.id)
    for collection in recorded:
        if collection.collection_date == day:
            return str(collection.sequence_type)
    sequence = "RCUR" if any(c.collection_date < day for c in recorded) else "FRST"
    store.record_collection(
        conn,
        mandate_id=row.id,
        collection_date=day,
        sequence_type=sequence,
        amount_cents=row.amount_cents,
        end_to_end_id=f"{row.mandate_reference}-{day:%Y%m%d}",
        exported_at=now,
    )
    return sequence


def _payment(portal: Portal, row: Any, day: dt.date, sequence: str) -> dict[str, Any]:
    payment: dict[str, Any] = {
        "name": row.account_holder,
        "IBAN": portal.vault.decrypt(row.iban_encrypted),
        "amount": int(row.amount_cents),
        "type": sequence,
        "collection_date": day,
        "mandate_id": row.mandate_reference,
        "mandate_date": row.signed_at.date(),
        "description": f"{row.purpose} Kassenzeichen {row.kassenzeichen}",
        "endtoend_id": f"{row.mandate_reference}-{day:%Y%m%d}",
    }
    if row.bic:
        payment["BIC"] = row.bic
    return payment


def _build(portal: Portal, conn: Connection, day: dt.date) -> bytes | None:
    settings = portal.settings
    now = portal.now()
    due = [row for row in store.active_with_invoices(conn) if _due_on(row, day)]
    if not due:
        return None
    sepa = SepaDD(
        {
            "name": settings.creditor_name,
            "IBAN": settings.creditor_iban,
            "BIC": settings.creditor_bic,
            "batch": True,
            "creditor_id": settings.creditor_id,
            "currency": "EUR",
            "instrument": "CORE",
        },
        schema=SCHEMA,
        clean=True,
    )
    for row in due:
        sepa.add_payment(_payment(portal, row, day, _sequence_type(conn, row, day, now)))
    # sepaxml validates against the XSD it ships; an invalid file raises and rolls back
    return bytes(sepa.export(validate=True, pretty_print=True))


def export(portal: Portal, day: dt.date) -> bytes | None:
    """The XML of the collections due that day, or None when nothing is due."""
    with portal.engine.begin() as conn:
        return _build(portal, conn, day)
