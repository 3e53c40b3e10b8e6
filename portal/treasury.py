"""The treasury's steps: plan, pre-notify, export, import returns, lapse.

Each step runs in one transaction; with ``dry_run`` it is rolled back at the end, so a dry run
reports exactly what the real run would do and changes nothing (no mail is queued either).
`python -m portal collections …` and the portal's API call these functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from portal import business_days, collection_mails, mandate_flow, outbox, returns, schedule
from portal.context import Portal
from portal.storage import collections as store
from portal.storage import invoices
from portal.storage import mandates as mandate_store
from portal.storage.tables import mandates

T = TypeVar("T")
LAPSE_MONTHS = 36


@contextmanager
def _transaction(portal: Portal, dry_run: bool) -> Iterator[Connection]:
    with portal.engine.connect() as conn:
        transaction = conn.begin()
        try:
            yield conn
        except BaseException:
            transaction.rollback()
            raise
        if dry_run:
            transaction.rollback()
        else:
            transaction.commit()


def run(portal: Portal, step: Callable[[Portal, Connection], T], dry_run: bool = False) -> T:
    with _transaction(portal, dry_run) as conn:
        result = step(portal, conn)
    if not dry_run:
        portal.wake_outbox()
    return result


@dataclass
class Report:
    """What a step did (or, in a dry run, would do): one line per item."""

    lines: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        self.lines.append(line)


def plan(portal: Portal, conn: Connection) -> Report:
    """Give every active mandate the due dates of its invoice that are still free."""
    report = Report()
    rows = conn.execute(
        sa.select(mandates.c.id, mandates.c.kassenzeichen, mandates.c.mandate_reference)
        .where(mandates.c.status == "active")
        .order_by(mandates.c.mandate_reference)
    ).all()
    for row in rows:
        for item in schedule.fill_gaps(
            conn, row, portal.now(), portal.today(), portal.settings.prenotification_days
        ):
            report.add(
                f"planned {item.end_to_end_id} due {item.due_date} on {item.collection_date}"
            )
    return report


def pre_notify(portal: Portal, conn: Connection) -> Report:
    """Announce every collection in the coming window; a collection whose date can no longer
    be announced in time (or was missed) moves to the first date that can."""
    settings = portal.settings
    report = Report()
    today, now = portal.today(), portal.now()
    earliest = business_days.on_or_after(today + dt.timedelta(days=settings.prenotification_days))
    _reschedule_missed(conn, today, now, earliest, report)
    until = today + dt.timedelta(
        days=settings.prenotification_days + settings.prenotification_lookahead_days
    )
    for row in store.to_prenotify(conn, until):
        day = row.collection_date
        if day < earliest:
            day = earliest
            report.add(f"moved {row.end_to_end_id} from {row.collection_date} to {day}")
        store.update(conn, row.id, status="notified", prenotified_at=now, collection_date=day)
        subject, text = collection_mails.prenotification(
            mandate_flow.about(portal, row, row.purpose), int(row.amount_cents), day
        )
        outbox.enqueue(
            conn,
            kind="prenotification",
            to=row.email,
            subject=subject,
            body=text,
            now=now,
            mandate_id=row.mandate_id,
        )
        report.add(f"notified {row.end_to_end_id} {row.amount_cents / 100:.2f} EUR on {day}")
    return report


def _reschedule_missed(
    conn: Connection, today: dt.date, now: dt.datetime, earliest: dt.date, report: Report
) -> None:
    """Collections whose day came without their being exported go back to be announced anew."""
    from portal.storage.tables import collections

    missed = conn.execute(
        sa.select(
            collections.c.id, collections.c.end_to_end_id, collections.c.collection_date
        ).where(collections.c.status.in_(store.OPEN), collections.c.collection_date <= today)
    ).all()
    for row in missed:
        store.update(conn, row.id, status="planned", prenotified_at=None, collection_date=earliest)
        report.add(f"missed {row.end_to_end_id} on {row.collection_date}: planned for {earliest}")


def _months_before(day: dt.date, months: int) -> dt.date:
    """
    >>> _months_before(dt.date(2030, 3, 31), 36)
    datetime.date(2027, 3, 31)
    >>> _months_before(dt.date(2031, 2, 28), 36)
    datetime.date(2028, 2, 28)
    """
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def lapse(portal: Portal, conn: Connection) -> Report:
    """End every active mandate with no collection for 36 months (SEPA rulebook) and tell
    its holder that a new mandate is needed."""
    report = Report()
    now = portal.now()
    cutoff = dt.datetime.combine(_months_before(portal.today(), LAPSE_MONTHS), dt.time())
    rows = conn.execute(
        sa.select(*mandate_store.SUMMARY_COLUMNS).where(mandates.c.status == "active")
    ).all()
    for row in rows:
        last = store.last_exported_at(conn, row.id) or row.signed_at
        if last is None or last >= cutoff:
            continue
        mandate_store.update(conn, row.id, status="lapsed", lapsed_at=now)
        store.cancel_open(conn, now, mandate_id=row.id)
        invoice = invoices.find(conn, row.kassenzeichen)
        assert invoice is not None
        subject, text = collection_mails.lapsed(mandate_flow.about(portal, row, invoice.purpose))
        outbox.enqueue(
            conn,
            kind="lapse",
            to=row.email,
            subject=subject,
            body=text,
            now=now,
            mandate_id=row.id,
        )
        report.add(f"lapsed {row.mandate_reference} (last collection {last:%Y-%m-%d})")
    return report


@dataclass
class ReturnsReport(Report):
    kind: str = ""
    matched: int = 0
    unknown: list[str] = field(default_factory=list)
    already: int = 0


def import_returns(data: bytes) -> Callable[[Portal, Connection], ReturnsReport]:
    """The step that applies a pain.002 or camt.054 file (raises `ReturnFileError` first)."""
    kind, items = returns.parse(data)
    wholes = returns.rejected_wholes(data)

    def step(portal: Portal, conn: Connection) -> ReturnsReport:
        report = ReturnsReport(kind=kind)
        for item in [*items, *_expand(conn, wholes)]:
            _apply_return(portal, conn, kind, item, report)
        return report

    return step


def _expand(conn: Connection, wholes: list[returns.RejectedWhole]) -> list[returns.Returned]:
    """The debits of each batch or payment block the bank rejected as a whole (our PmtInfId is
    the batch id and the sequence type, see `portal.pain008`)."""
    found = []
    for whole in wholes:
        if whole.message_id:
            ids = store.end_to_end_ids_of_batch(conn, whole.message_id, None)
        else:
            batch, _, sequence = (whole.payment_information_id or "").rpartition("-")
            ids = store.end_to_end_ids_of_batch(conn, batch, sequence or None) if batch else []
        found += [returns.Returned(e2e, whole.reason) for e2e in ids]
    return found


def _apply_return(
    portal: Portal, conn: Connection, kind: str, item: returns.Returned, report: ReturnsReport
) -> None:
    row = store.by_end_to_end_id(conn, item.end_to_end_id, lock=True)
    if row is None:
        report.unknown.append(item.end_to_end_id)
        report.add(f"unknown end-to-end id {item.end_to_end_id}")
        return
    if row.status == "returned":
        report.already += 1
        report.add(f"already returned {item.end_to_end_id}")
        return
    if row.status != "exported":
        report.unknown.append(item.end_to_end_id)
        report.add(f"{item.end_to_end_id} was never submitted (status {row.status})")
        return
    now = portal.now()
    reason = item.reason[:4]
    store.update(
        conn, row.id, status="returned", returned_at=now, return_reason=reason, return_source=kind
    )
    if reason in collection_mails.MANDATE_ENDING and row.mandate_status == "active":
        # the account or the mandate is gone: nothing more may be collected with it
        mandate_store.update(conn, row.mandate_id, status="revoked", revoked_at=now)
        store.cancel_open(conn, now, mandate_id=row.mandate_id)
    subject, text = collection_mails.returned(
        mandate_flow.about(portal, row, row.purpose),
        int(row.amount_cents),
        row.collection_date,
        reason,
    )
    outbox.enqueue(
        conn,
        kind="return",
        to=row.email,
        subject=subject,
        body=text,
        now=now,
        mandate_id=row.mandate_id,
    )
    report.matched += 1
    report.add(f"returned {item.end_to_end_id} ({reason})")
