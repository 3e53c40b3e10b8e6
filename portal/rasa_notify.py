"""Tells a conversation that a login ended: Rasa's `trigger_intent` with `signing_finished`.

The one place the portal calls Rasa. A notification is written to `rasa_notifications` in the
transaction that finished the signing session and sent afterwards by a background pass
(`portal.background`), with a timeout and growing pauses while Rasa is down (the outbox's
policy), so none is lost; one that still fails after the last attempt stays `failed` in the
table and in the log.

Authentication as the other callers of Rasa's API do it (bot/rasa_auth.py): a short JWT
(`RASA_JWT_SECRET`, HS256, `role: user` for this one conversation) in the header. Never Rasa's
`?token=`: URLs end up in access logs. Without the secret the call goes unauthenticated, Rasa
refuses it (401) and the notification is retried, then stays `failed` (docs/settings.md).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import jwt
from sqlalchemy.engine import Connection, Engine, Row

from clock import Clock
from portal import background
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
    due = background.due_ids(engine, table, now, limit)
    if not due:
        # no client on an empty pass: building one loads the CA bundle (some 25 ms), and an
        # idle portal passes every second (it was 4 % of a core per portal)
        return 0
    with httpx.Client() as client:
        for note_id in due:
            row = background.claim(engine, table, note_id, clock.utcnow(), CLAIM_SECONDS)
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
