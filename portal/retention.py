"""Retention of the portal's records: what is no longer needed goes, what the law requires stays.

Run daily by ``python -m portal retention [--dry-run]`` (the compose file's and the Helm
chart's retention job). Every period is a setting; the defaults and their reasons:

- ``PORTAL_RETENTION_PENDING_DAYS`` (30): mandates never signed (``pending_signature``; the
  code expired minutes after it was sent), with their idempotency record and mails. A month
  answers "I never got the code".
- ``PORTAL_RETENTION_REJECTED_DAYS`` (90): mandates ``rejected`` after three wrong codes, kept a
  quarter as evidence of a failed (possibly fraudulent) attempt for an enquiry.
- ``PORTAL_RETENTION_ENDED_MONTHS`` (14, no less): revoked, superseded or lapsed mandates,
  counted from the later of their end and their last collection. The debtor may claim an
  unauthorised debit back for 13 months (§ 676b BGB, SEPA rulebook), so the mandate and its
  evidence (text, code check, sealed PDF) must prove the authorisation until then, plus a month
  for the bank's enquiry. A mandate without any collection is deleted; one with collections
  keeps its row (the collections are accounting records and guarantee that a due date is never
  collected twice) with its personal data erased: account holder, e-mail, IBAN (the masked form
  stays), BIC, address, evidence, PDF, and the recipient and body of its mails.
- ``PORTAL_RETENTION_SERVICE_REQUEST_DAYS`` (365): service requests whose last status change is
  older, with their history: a year covers the handling and the citizen's questions about it.
- ``PORTAL_RETENTION_APPOINTMENT_DAYS`` (30): appointments that ended longer ago: a month for a
  missed appointment's follow-up.

Never touched: active mandates (whatever their age), invoices, collections and the pain.008
batches handed to the bank (accounting records with their own statutory periods, a matter for
the city's treasury system, not this job).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from portal.storage.tables import (
    appointments,
    collections,
    idempotency_keys,
    mandates,
    outbox,
    service_request_events,
    service_requests,
)

ENDED = ("revoked", "superseded", "lapsed")
ERASED = ""  # what erased text columns hold (they are NOT NULL)


@dataclass(frozen=True)
class Periods:
    pending_days: int = 30
    rejected_days: int = 90
    ended_months: int = 14
    service_request_days: int = 365
    appointment_days: int = 30

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Periods:
        """The periods of the settings (`PORTAL_RETENTION_<FIELD>`), whole numbers from 1 on.

        >>> Periods.from_env({"PORTAL_RETENTION_PENDING_DAYS": "7"}).pending_days
        7
        >>> Periods.from_env({"PORTAL_RETENTION_ENDED_MONTHS": "13"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: PORTAL_RETENTION_ENDED_MONTHS must be at least 14 (refund claims ...), not 13
        """
        values: dict[str, int] = {}
        for item in fields(cls):
            name = f"PORTAL_RETENTION_{item.name.upper()}"
            text = env.get(name, "").strip()
            if not text:
                continue
            if not text.isdigit() or int(text) < 1:
                raise ValueError(f"{name} must be a whole number from 1 on, not {text!r}")
            values[item.name] = int(text)
        periods = cls(**values)
        if periods.ended_months < 14:
            raise ValueError(
                "PORTAL_RETENTION_ENDED_MONTHS must be at least 14 (refund claims for "
                f"unauthorised debits run 13 months), not {periods.ended_months}"
            )
        return periods


@dataclass
class Report:
    pending: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    ended_deleted: list[str] = field(default_factory=list)
    ended_erased: list[str] = field(default_factory=list)
    service_requests: int = 0
    appointments: int = 0

    def lines(self) -> list[str]:
        return [
            f"mandates never signed: {len(self.pending)}",
            f"mandates rejected: {len(self.rejected)}",
            f"ended mandates deleted: {len(self.ended_deleted)}",
            f"ended mandates with collections, personal data erased: {len(self.ended_erased)}",
            f"service requests: {self.service_requests}",
            f"appointments: {self.appointments}",
        ]


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day and time `months` calendar months earlier (the month's last day if shorter).

    >>> months_before(dt.datetime(2027, 4, 30, 12), 14)
    datetime.datetime(2026, 2, 28, 12, 0)
    """
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _has_collections(mandate_id: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    return sa.exists().where(collections.c.mandate_id == mandate_id)


def _delete_mandates(conn: Connection, ids: list[str]) -> None:
    if ids:
        conn.execute(sa.delete(idempotency_keys).where(idempotency_keys.c.mandate_id.in_(ids)))
        conn.execute(sa.delete(outbox).where(outbox.c.mandate_id.in_(ids)))
        conn.execute(sa.delete(mandates).where(mandates.c.id.in_(ids)))


def _ids(conn: Connection, query: sa.Select) -> list[str]:
    return [str(row[0]) for row in conn.execute(query)]


def run(engine: Engine, now: dt.datetime, periods: Periods, dry_run: bool = False) -> Report:
    """Applies the periods at `now` (naive UTC, the stored form) in one transaction."""
    report = Report()
    with engine.begin() as conn:
        without_collections = ~_has_collections(mandates.c.id)
        report.pending = _ids(
            conn,
            sa.select(mandates.c.id).where(
                mandates.c.status == "pending_signature",
                mandates.c.created_at < now - dt.timedelta(days=periods.pending_days),
                without_collections,
            ),
        )
        report.rejected = _ids(
            conn,
            sa.select(mandates.c.id).where(
                mandates.c.status == "rejected",
                mandates.c.created_at < now - dt.timedelta(days=periods.rejected_days),
                without_collections,
            ),
        )
        cutoff = months_before(now, periods.ended_months)
        last_collection = (
            sa.select(sa.func.max(collections.c.collection_date))
            .where(
                collections.c.mandate_id == mandates.c.id,
                collections.c.status.in_(("exported", "returned")),
            )
            .scalar_subquery()
        )
        ended_at = sa.func.coalesce(
            mandates.c.revoked_at, mandates.c.superseded_at, mandates.c.lapsed_at
        )
        ended = sa.select(mandates.c.id, _has_collections(mandates.c.id).label("collected")).where(
            mandates.c.status.in_(ENDED),
            ended_at < cutoff,
            sa.or_(last_collection.is_(None), last_collection < cutoff.date()),
            mandates.c.email != ERASED,
        )
        for row in conn.execute(ended):
            (report.ended_erased if row.collected else report.ended_deleted).append(str(row.id))
        last_change = (
            sa.select(sa.func.max(service_request_events.c.at))
            .where(service_request_events.c.request_id == service_requests.c.id)
            .scalar_subquery()
        )
        old_requests = [
            int(row.id)
            for row in conn.execute(
                sa.select(service_requests.c.id).where(
                    sa.func.coalesce(last_change, service_requests.c.created_at)
                    < now - dt.timedelta(days=periods.service_request_days)
                )
            )
        ]
        report.service_requests = len(old_requests)
        old_appointments = appointments.c.end < now - dt.timedelta(days=periods.appointment_days)
        report.appointments = int(
            conn.execute(
                sa.select(sa.func.count()).select_from(appointments).where(old_appointments)
            ).scalar_one()
        )
        if dry_run:
            return report
        _delete_mandates(conn, report.pending + report.rejected + report.ended_deleted)
        if report.ended_erased:
            erased = mandates.c.id.in_(report.ended_erased)
            conn.execute(
                sa.update(mandates)
                .where(erased)
                .values(
                    account_holder=ERASED, email=ERASED, iban_encrypted=ERASED, bic=None,
                    debtor_address=None, evidence=None, document=None, code_hash=ERASED,
                )
            )  # fmt: skip
            conn.execute(
                sa.update(outbox)
                .where(outbox.c.mandate_id.in_(report.ended_erased))
                .values(to_address=ERASED, body=ERASED, attachment=None)
            )
        for start in range(0, len(old_requests), 500):
            chunk = old_requests[start : start + 500]
            conn.execute(
                sa.delete(service_request_events).where(
                    service_request_events.c.request_id.in_(chunk)
                )
            )
            conn.execute(sa.delete(service_requests).where(service_requests.c.id.in_(chunk)))
        conn.execute(sa.delete(appointments).where(old_appointments))
    return report
