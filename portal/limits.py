"""Limits on guessing: failed lookups are counted per subject and per client.

A subject is what is being guessed: a Kassenzeichen (invoice lookup) or a service-request
reference (status lookup). A client is the conversation the action server asks for, named by
the headers ``X-Client-Id`` (the conversation's sender id, percent-encoded UTF-8) and, where the
action server knows it, ``X-Client-Channel``. The portal trusts these headers only because every
``/api/`` route needs the action server's bearer token; a caller without the headers is the back
office itself and is counted per subject only.

So one client trying many Kassenzeichen is stopped (per client), and one Kassenzeichen tried
from many clients is stopped (per subject). Clients are stored as a keyed hash (HMAC-SHA256):
a sender id may be a phone number.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote

import sqlalchemy as sa
from sanic import Request
from sqlalchemy.engine import Connection

from portal.problems import Problem
from portal.storage.tables import lookup_failures, status_lookup_failures

CLIENT_HEADER = "X-Client-Id"
CHANNEL_HEADER = "X-Client-Channel"
MAX_CLIENT_ID = 512
_CHANNEL = re.compile(r"[A-Za-z0-9_-]{1,32}")
# the stored conversation id is cut there (portal/storage/tables.py, service_requests)
CONVERSATION_ID_LENGTH = 128


@dataclass(frozen=True)
class Limits:
    """Failures allowed within ``window`` before the next lookup is refused (429)."""

    window: dt.timedelta = dt.timedelta(minutes=15)
    per_kassenzeichen: int = 5
    per_reference: int = 5
    per_client: int = 10


@dataclass(frozen=True)
class Client:
    sender: str
    channel: str | None
    key: str  # keyed hash of channel and sender: what is stored with a failure

    def owns(self, conversation_id: str | None, channel: str | None) -> bool:
        """Whether this client is the conversation that filed a request."""
        if not conversation_id:
            return False
        same = hmac.compare_digest(
            self.sender[:CONVERSATION_ID_LENGTH].encode(), conversation_id.encode()
        )
        # where both sides know the channel, it must be the same one too
        return same and (channel is None or self.channel is None or channel == self.channel)


def mac_key(encryption_key: bytes) -> bytes:
    """The key of the client hashes, derived from the portal's encryption key."""
    return hashlib.sha256(b"lookup-client:" + encryption_key).digest()


def client_from(request: Request, key: bytes) -> Client | None:
    """The client the action server names, or None (the back office); 400 when malformed."""
    raw = request.headers.get(CLIENT_HEADER)
    channel = request.headers.get(CHANNEL_HEADER)
    if raw is None:
        if channel is not None:
            raise _bad_header(CLIENT_HEADER, "fehlt neben X-Client-Channel / missing")
        return None
    try:
        sender = unquote(str(raw), errors="strict")
    except UnicodeDecodeError:
        raise _bad_header(CLIENT_HEADER, "kein UTF-8 / not UTF-8") from None
    if not sender.strip() or len(sender) > MAX_CLIENT_ID or not sender.isprintable():
        raise _bad_header(CLIENT_HEADER, f"1–{MAX_CLIENT_ID} druckbare Zeichen / printable")
    if channel is not None and not _CHANNEL.fullmatch(str(channel)):
        raise _bad_header(CHANNEL_HEADER, "A-Z a-z 0-9 _ -, 1–32 Zeichen / characters")
    name = None if channel is None else str(channel)
    digest = hmac.new(key, f"{name or ''}\n{sender}".encode(), hashlib.sha256).hexdigest()
    return Client(sender=sender, channel=name, key=digest)


def _bad_header(name: str, why: str) -> Problem:
    return Problem(
        400,
        f"Der Header {name} ist ungültig. / The {name} header is invalid.",
        slug="client-header-invalid",
        errors={name: why},
    )


def wait_seconds(
    times: Sequence[dt.datetime], limit: int, window: dt.timedelta, now: dt.datetime
) -> int | None:
    """Seconds until a new try is allowed, given the newest failures first; None: allowed.

    >>> t = dt.datetime(2026, 12, 3, 9, 0, 0)
    >>> w = dt.timedelta(minutes=15)
    >>> wait_seconds([t, t], 3, w, t) is None
    True
    >>> wait_seconds([t, t, t - dt.timedelta(minutes=10)], 3, w, t)
    300
    """
    if limit <= 0 or len(times) < limit:
        return None
    # free again once the oldest of the last `limit` failures leaves the window
    free_at = times[limit - 1] + window
    return max(1, math.ceil((free_at - now).total_seconds()))


def client_wait(
    conn: Connection, client: Client | None, limits: Limits, now: dt.datetime
) -> int | None:
    """Seconds this client must wait, counting its failed invoice and status lookups together."""
    if client is None:
        return None
    since = now - limits.window
    times: list[dt.datetime] = []
    for table in (lookup_failures, status_lookup_failures):
        times += (
            conn.execute(
                sa.select(table.c.failed_at)
                .where(table.c.client == client.key, table.c.failed_at > since)
                .order_by(table.c.failed_at.desc())
                .limit(limits.per_client)
            )
            .scalars()
            .all()
        )
    times.sort(reverse=True)
    return wait_seconds(times, limits.per_client, limits.window, now)


def subject_wait(
    conn: Connection,
    table: sa.Table,
    column: str,
    value: str,
    limit: int,
    limits: Limits,
    now: dt.datetime,
) -> int | None:
    since = now - limits.window
    times = (
        conn.execute(
            sa.select(table.c.failed_at)
            .where(table.c[column] == value, table.c.failed_at > since)
            .order_by(table.c.failed_at.desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )
    return wait_seconds(times, limit, limits.window, now)


def too_many(scope: str, wait: int) -> Problem:
    """The 429 of a limit; ``scope`` says which one (the chat words its answer after it)."""
    texts = {
        "client": (
            "Zu viele Fehlversuche aus diesem Gespräch; bitte später erneut versuchen."
            " / Too many failed attempts from this conversation; try again later."
        ),
        "kassenzeichen": (
            "Zu viele Fehlversuche für dieses Kassenzeichen; bitte später erneut versuchen."
            " / Too many failed attempts for this Kassenzeichen; try again later."
        ),
        "reference": (
            "Zu viele Fehlversuche für diese Vorgangsnummer; bitte später erneut versuchen."
            " / Too many failed attempts for this reference; try again later."
        ),
    }
    return Problem(
        429,
        texts[scope],
        headers={"Retry-After": str(wait)},
        retry_after=wait,
        limit=scope,
    )
