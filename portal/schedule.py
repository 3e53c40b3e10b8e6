"""The collection schedule of an invoice: which due date is collected when, by which mandate.

A due date is collected at most once across all the mandates of its invoice: a new mandate
takes over only the due dates that no collection holds yet (cancelled collections of an
earlier mandate free theirs). A collection date is the due date, but never earlier than the
pre-notification period after today, moved to the next TARGET2 business day.

>>> d = dt.date
>>> for item in plan([d(2027, 3, 15), d(2027, 6, 15)], set(), today=d(2027, 3, 10), notice_days=14):
...     print(*item)
2027-03-15 2027-03-24
2027-06-15 2027-06-15
>>> plan([d(2027, 3, 15), d(2027, 6, 15)], {d(2027, 6, 15)}, today=d(2027, 3, 1), notice_days=14)
[(datetime.date(2027, 3, 15), datetime.date(2027, 3, 15))]
>>> plan([d(2026, 1, 15)], set(), today=d(2026, 12, 11), notice_days=14)  # overdue: collected once
[(datetime.date(2026, 1, 15), datetime.date(2026, 12, 28))]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.engine import Connection, Row

from portal import business_days
from portal.storage import collections as store
from portal.storage import invoices


def candidates(due_dates: Iterable[dt.date], today: dt.date) -> list[dt.date]:
    """The due dates a mandate signed today may collect: the coming ones, or (for an invoice
    that is wholly overdue) its last one."""
    ordered = sorted(set(due_dates))
    upcoming = [d for d in ordered if d >= today]
    return upcoming or ordered[-1:]


def collection_date(due: dt.date, today: dt.date, notice_days: int) -> dt.date:
    return business_days.on_or_after(max(due, today + dt.timedelta(days=notice_days)))


def plan(
    due_dates: Iterable[dt.date], taken: set[dt.date], today: dt.date, notice_days: int
) -> list[tuple[dt.date, dt.date]]:
    """(due date, collection date) of every due date still free to collect."""
    return [
        (due, collection_date(due, today, notice_days))
        for due in candidates(due_dates, today)
        if due not in taken
    ]


def end_to_end_id(mandate_reference: str, due: dt.date) -> str:
    """Unique per mandate and due date, at most 35 characters; returns are matched by it."""
    return f"{mandate_reference}-{due:%Y%m%d}"


@dataclass(frozen=True)
class Planned:
    due_date: dt.date
    collection_date: dt.date
    end_to_end_id: str


def take_over(
    conn: Connection,
    *,
    mandate_id: str,
    mandate_reference: str,
    invoice: invoices.Invoice,
    now: dt.datetime,
    today: dt.date,
    notice_days: int,
) -> list[Planned]:
    """Give the invoice's free due dates to a newly active mandate.

    What earlier mandates had planned but not handed to the bank is cancelled first, so the
    new mandate takes it over; what went to the bank stays theirs.
    """
    store.cancel_open(conn, now, invoice_id=invoice.id)
    return _plan_for(conn, mandate_id, mandate_reference, invoice, now, today, notice_days)


def _plan_for(
    conn: Connection,
    mandate_id: str,
    mandate_reference: str,
    invoice: invoices.Invoice,
    now: dt.datetime,
    today: dt.date,
    notice_days: int,
) -> list[Planned]:
    taken = store.taken_due_dates(conn, invoice.id)
    planned = []
    for due, day in plan(invoice.due_dates, taken, today, notice_days):
        item = Planned(due, day, end_to_end_id(mandate_reference, due))
        store.insert(
            conn,
            mandate_id=mandate_id,
            invoice_id=invoice.id,
            due_date=due,
            collection_date=day,
            status="planned",
            amount_cents=invoice.amount_cents,
            end_to_end_id=item.end_to_end_id,
            planned_at=now,
        )
        planned.append(item)
    return planned


def fill_gaps(
    conn: Connection, mandate: Row, now: dt.datetime, today: dt.date, notice_days: int
) -> list[Planned]:
    """Plan what an active mandate's invoice still has free (the treasury's `plan` step)."""
    invoice = invoices.find(conn, mandate.kassenzeichen)
    assert invoice is not None
    return _plan_for(conn, mandate.id, mandate.mandate_reference, invoice, now, today, notice_days)
