"""The mail outbox: mails are written in the transaction of the state change they tell about,
and a worker hands them to the SMTP server afterwards, with retries and growing pauses.

No request ever waits for the mail server: a slow or refusing server delays a mail, it never
makes the portal say something that its database contradicts. A mail that still fails after
the last attempt stays in the table as ``failed`` for staff to see; no mail is ever deleted.

Once a mail is sent, its body and attachment are erased and only what staff need to trace it
remains (kind, recipient, subject, attempts, times): a body may hold a signing code, which the
portal otherwise keeps only as a keyed hash. Until then the body waits in clear in the table.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from clock import Clock
from portal import background
from portal.mail import Attachment, Mailer, MailError
from portal.storage.tables import outbox

log = logging.getLogger("portal.outbox")

# a claimed mail whose worker died is taken up again after this long
CLAIM_SECONDS = 120
MAX_PAUSE = dt.timedelta(hours=6)


@dataclass(frozen=True)
class Policy:
    retry_seconds: int = 30  # pause after the first failure; doubles after each further one
    max_attempts: int = 8

    def pause(self, attempts: int) -> dt.timedelta:
        """
        >>> [Policy(30).pause(n).seconds for n in (1, 2, 3)]
        [30, 60, 120]
        >>> Policy(30).pause(40) == MAX_PAUSE
        True
        """
        return min(MAX_PAUSE, dt.timedelta(seconds=self.retry_seconds * 2 ** min(attempts - 1, 20)))


def enqueue(
    conn: Connection,
    *,
    kind: str,
    to: str,
    subject: str,
    body: str,
    now: dt.datetime,
    mandate_id: str | None = None,
    attachment: Attachment | None = None,
) -> int:
    result = conn.execute(
        outbox.insert().values(
            kind=kind,
            mandate_id=mandate_id,
            to_address=to,
            subject=subject[:300],
            body=body,
            attachment_name=attachment.filename if attachment else None,
            attachment=attachment.content if attachment else None,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
    return int(result.inserted_primary_key[0])


def _send(mailer: Mailer, row: Row) -> None:
    attachments: tuple[Attachment, ...] = ()
    if row.attachment is not None and row.attachment_name:
        attachments = (Attachment(row.attachment_name, bytes(row.attachment)),)
    mailer.send(row.to_address, row.subject, row.body, attachments)


def deliver_due(
    engine: Engine, mailer: Mailer, clock: Clock, policy: Policy, limit: int = 20
) -> tuple[int, int]:
    """One pass: send what is due; return (sent, failed attempts)."""
    sent = failed = 0
    for mail_id in background.due_ids(engine, outbox, clock.utcnow(), limit):
        row = background.claim(engine, outbox, mail_id, clock.utcnow(), CLAIM_SECONDS)
        if row is None:
            continue
        try:
            _send(mailer, row)
        except MailError as exc:
            failed += 1
            _record_failure(engine, row, str(exc), clock.utcnow(), policy)
            continue
        sent += 1
        with engine.begin() as conn:
            conn.execute(
                outbox.update()
                .where(outbox.c.id == row.id)
                .values(
                    status="sent",
                    sent_at=clock.utcnow(),
                    attempts=row.attempts + 1,
                    claimed_until=None,
                    body="",
                    attachment=None,
                )
            )
        log.info("mail %s (%s) sent after %s attempt(s)", row.id, row.kind, row.attempts + 1)
    return sent, failed


def _record_failure(engine: Engine, row: Row, error: str, now: dt.datetime, policy: Policy) -> None:
    attempts = int(row.attempts) + 1
    final = attempts >= policy.max_attempts
    values = {
        "attempts": attempts,
        "last_error": error[:300],
        "claimed_until": None,
        "status": "failed" if final else "pending",
        "next_attempt_at": now if final else now + policy.pause(attempts),
    }
    with engine.begin() as conn:
        conn.execute(outbox.update().where(outbox.c.id == row.id).values(**values))
    if final:
        log.error(
            "mail %s (%s) failed for good after %s attempts: %s", row.id, row.kind, attempts, error
        )
    else:
        log.warning("mail %s (%s) attempt %s failed: %s", row.id, row.kind, attempts, error)


def listing(conn: Connection, status: str | None, limit: int = 200) -> list[Row]:
    query = sa.select(*[c for c in outbox.c if c.name not in ("body", "attachment")])
    if status:
        query = query.where(outbox.c.status == status)
    return list(conn.execute(query.order_by(outbox.c.id.desc()).limit(limit)).all())


def retry(conn: Connection, mail_id: int, now: dt.datetime) -> bool:
    """Put a failed mail back in the queue (staff, after fixing the cause)."""
    return bool(
        conn.execute(
            outbox.update()
            .where(outbox.c.id == mail_id, outbox.c.status == "failed")
            .values(status="pending", next_attempt_at=now, attempts=0)
        ).rowcount
    )
