"""Tells a conversation that a login ended: Rasa's `trigger_intent` with `signing_finished`.

The one place the portal calls Rasa. A notification is written to `rasa_notifications` in the
transaction that finished the signing session and sent by `Worker` afterwards, with a timeout
and growing pauses while Rasa is down (the outbox's policy), so none is lost; one that still
fails after the last attempt stays `failed` in the table and in the log.

Authentication as the other callers of Rasa's API do it (bot/rasa_auth.py): a short JWT
(`RASA_JWT_SECRET`, HS256, `role: user` for this one conversation) in the header. Never Rasa's
`?token=`: URLs end up in access logs. Without the secret the call goes unauthenticated, Rasa
refuses it (401) and the notification is retried, then stays `failed` (docs/settings.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import jwt
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from clock import Clock
from portal.outbox import Policy
from portal.storage.signing import rasa_notifications as table

log = logging.getLogger("portal.rasa_notify")
INTENT = "signing_finished"
TIMEOUT = httpx.Timeout(10.0, connect=3.0)
CLAIM_SECONDS = 60


@dataclass(frozen=True)
class RasaTarget:
    url: str
    jwt_secret: str | None = None

    def auth(self, conversation_id: str) -> dict[str, str]:
        """The headers for one call about one conversation."""
        if self.jwt_secret:
            now = int(time.time())
            claims = {
                "user": {"username": conversation_id, "role": "user"},
                "iat": now,
                "exp": now + 60,
            }
            token = jwt.encode(claims, self.jwt_secret, algorithm="HS256")
            return {"Authorization": f"Bearer {token}"}
        return {}


def enqueue(
    conn: Connection, session_id: str, conversation_id: str, output_channel: str, now: dt.datetime
) -> None:
    conn.execute(
        table.insert().values(
            session_id=session_id,
            conversation_id=conversation_id,
            output_channel=output_channel,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )


def send(target: RasaTarget, row: Row, client: httpx.Client) -> None:
    # Rasa does not unquote path parameters: a channel's colon (`web:…`) must stay a colon.
    url = f"{target.url.rstrip('/')}/conversations/{quote(row.conversation_id, safe=':')}"
    response = client.post(
        f"{url}/trigger_intent",
        params={"output_channel": row.output_channel},
        headers=target.auth(row.conversation_id),
        json={"name": INTENT, "entities": {"signing_session_id": row.session_id}},
        timeout=TIMEOUT,
    )
    response.raise_for_status()


def deliver_due(
    engine: Engine, target: RasaTarget, clock: Clock, policy: Policy, limit: int = 20
) -> int:
    """One pass: send what is due; return how many were sent."""
    sent = 0
    now = clock.utcnow()
    with engine.begin() as conn:
        due = [
            int(i)
            for i in conn.execute(
                sa.select(table.c.id)
                .where(
                    sa.or_(
                        sa.and_(table.c.status == "pending", table.c.next_attempt_at <= now),
                        sa.and_(table.c.status == "sending", table.c.claimed_until < now),
                    )
                )
                .order_by(table.c.id)
                .limit(limit)
            ).scalars()
        ]
    with httpx.Client() as client:
        for note_id in due:
            row = _claim(engine, note_id, clock.utcnow())
            if row is None:
                continue
            try:
                send(target, row, client)
            except httpx.HTTPError as exc:
                _failed(engine, row, type(exc).__name__, clock.utcnow(), policy)
                continue
            with engine.begin() as conn:
                conn.execute(
                    table.update()
                    .where(table.c.id == row.id)
                    .values(
                        status="sent",
                        sent_at=clock.utcnow(),
                        attempts=row.attempts + 1,
                        claimed_until=None,
                    )
                )
            sent += 1
            log.info("conversation told: signing session %s finished", row.session_id)
    return sent


def _claim(engine: Engine, note_id: int, now: dt.datetime) -> Row | None:
    with engine.begin() as conn:
        claimed = conn.execute(
            table.update()
            .where(
                table.c.id == note_id,
                sa.or_(
                    sa.and_(table.c.status == "pending", table.c.next_attempt_at <= now),
                    sa.and_(table.c.status == "sending", table.c.claimed_until < now),
                ),
            )
            .values(status="sending", claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS))
        ).rowcount
        if claimed != 1:
            return None
        row: Row = conn.execute(sa.select(table).where(table.c.id == note_id)).one()
        return row


def _failed(engine: Engine, row: Row, error: str, now: dt.datetime, policy: Policy) -> None:
    attempts = int(row.attempts) + 1
    final = attempts >= policy.max_attempts
    with engine.begin() as conn:
        conn.execute(
            table.update()
            .where(table.c.id == row.id)
            .values(
                attempts=attempts,
                last_error=error[:300],
                claimed_until=None,
                status="failed" if final else "pending",
                next_attempt_at=now if final else now + policy.pause(attempts),
            )
        )
    level = logging.ERROR if final else logging.WARNING
    log.log(
        level,
        "telling the conversation of signing session %s failed (attempt %s%s): %s",
        row.session_id,
        attempts,
        ", gave up" if final else "",
        error,
    )


class Worker:
    """Sends the notifications in the background: wakes when a session finished, else polls."""

    def __init__(
        self, engine: Engine, target: RasaTarget, clock: Clock, policy: Policy, poll: float = 1.0
    ) -> None:
        self._args = (engine, target, clock, policy)
        self._poll = poll
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="rasa-notify")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.to_thread(deliver_due, *self._args)
            except asyncio.CancelledError:
                raise
            except Exception:  # the worker must outlive a database hiccup
                log.exception("rasa notification pass failed")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll)
            self._wake.clear()
