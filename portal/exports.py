"""Export batches of pain.008.001.08 direct debits for the bank.

A batch holds the collections of one collection date that were pre-notified in time and not yet
in a batch; each collection goes into exactly one batch. The file is stored as it was made, so
downloading a batch again gives the same bytes; a new batch holds only what is new. The
sequence type is fixed when a collection enters a batch: FRST for a mandate's first
collection that reached the bank (again FRST after a returned first one), RCUR after it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from portal import business_days, pain008
from portal.context import Portal
from portal.problems import Problem
from portal.storage import collections as store
from rules import kassenzeichen as kz


@dataclass(frozen=True)
class Batch:
    id: str
    collection_date: dt.date
    transactions: int
    total_cents: int
    xml: bytes
    new: bool  # made by this call (False: an earlier batch handed out again)


def check_day(day: dt.date, today: dt.date) -> None:
    """Refuse a collection date the bank would refuse: today or earlier, or a TARGET2 holiday."""
    if day <= today:
        raise Problem(
            422,
            f"Das Einzugsdatum {day} liegt nicht in der Zukunft; die Bank braucht die Datei vor"
            f" dem Einzugstag. / The collection date {day} is not in the future.",
            slug="collection-date-past",
            errors={"collection_date": "muss nach heute liegen / must be after today"},
        )
    if not business_days.is_business_day(day):
        following = business_days.on_or_after(day)
        raise Problem(
            422,
            f"{day} ist kein TARGET2-Geschäftstag; nächster Geschäftstag: {following}."
            f" / {day} is not a TARGET2 business day; the next one is {following}.",
            slug="collection-date-closed",
            errors={"collection_date": f"kein Geschäftstag / not a business day ({following})"},
            next_business_day=following.isoformat(),
        )


def _sequence_types(conn: Connection, rows: list[Any], day: dt.date) -> list[str]:
    seen: set[str] = set()
    types = []
    for row in rows:
        earlier = row.mandate_id in seen or store.mandate_has_collected(conn, row.mandate_id, day)
        types.append("RCUR" if earlier else "FRST")
        seen.add(row.mandate_id)
    return types


def _transaction(portal: Portal, row: Any, sequence: str) -> pain008.Transaction:
    return pain008.Transaction(
        end_to_end_id=row.end_to_end_id,
        sequence_type=sequence,
        amount_cents=int(row.amount_cents),
        mandate_reference=row.mandate_reference,
        mandate_signed=row.signed_at.date(),
        debtor_name=row.account_holder,
        iban=portal.vault.decrypt(row.iban_encrypted),
        bic=row.bic,
        address=json.loads(row.debtor_address) if row.debtor_address else None,
        remittance=pain008.remittance(kz.format(row.kassenzeichen), row.purpose),
    )


def _create(portal: Portal, conn: Connection, day: dt.date) -> Batch | None:
    notice = dt.timedelta(days=portal.settings.prenotification_days)
    notified_by = dt.datetime.combine(day - notice, dt.time.max)
    rows = store.ready_for_export(conn, day, notified_by)
    if not rows:
        return None
    now = portal.now()
    batch_id = f"DD-{day:%Y%m%d}-{store.batch_count_on(conn, day) + 1:02d}"
    types = _sequence_types(conn, rows, day)
    settings = portal.settings
    creditor = pain008.Creditor(
        settings.creditor_name, settings.creditor_iban, settings.creditor_bic, settings.creditor_id
    )
    items = [_transaction(portal, row, seq) for row, seq in zip(rows, types, strict=True)]
    # the file is checked against the XSD and the EPC rules; a failure raises and rolls back
    xml = pain008.build(creditor, day, batch_id, now, items)
    total = sum(int(row.amount_cents) for row in rows)
    store.insert_batch(
        conn,
        id=batch_id,
        collection_date=day,
        created_at=now,
        transactions=len(rows),
        total_cents=total,
        xml=xml,
    )
    for row, seq in zip(rows, types, strict=True):
        store.update(
            conn, row.id, status="exported", batch_id=batch_id, exported_at=now, sequence_type=seq
        )
    return Batch(batch_id, day, len(rows), total, xml, new=True)


def create_in(portal: Portal, conn: Connection, day: dt.date) -> Batch | None:
    """`create_batch` inside a caller's transaction (the treasury command's dry run)."""
    return _create(portal, conn, day)


def create_batch(portal: Portal, day: dt.date) -> Batch | None:
    """A new batch of what is ready on `day` and in no batch yet; None when nothing is new."""
    check_day(day, portal.today())
    with portal.engine.begin() as conn:
        return _create(portal, conn, day)


def day_file(portal: Portal, day: dt.date) -> Batch | None:
    """What `GET /exports/pain.008` answers: a new batch when something is new, else the day's
    last batch unchanged, else None."""
    check_day(day, portal.today())
    with portal.engine.begin() as conn:
        made = _create(portal, conn, day)
        if made is not None:
            return made
        earlier = store.batches_on(conn, day)
        if not earlier:
            return None
        last = earlier[-1]
        xml = store.batch_xml(conn, last.id)
    assert xml is not None
    return Batch(last.id, day, last.transactions, last.total_cents, xml, new=False)


def stored(portal: Portal, batch_id: str) -> bytes | None:
    return portal.transaction(store.batch_xml, batch_id)


def listing(portal: Portal, day: dt.date) -> list[Any]:
    return portal.transaction(store.batches_on, day)


def not_prenotified(portal: Portal, day: dt.date) -> int:
    return portal.transaction(store.not_prenotified_on, day)
