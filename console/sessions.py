"""Server-side sessions: a random id in the cookie, its keyed hash in the database.

A new id is made at every login, so an id planted before the login is worth nothing after it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from console.accounts import Account
from console.db import sessions, users

COOKIE = "console_session"
LOGIN_CSRF_COOKIE = "console_login_csrf"


@dataclass(frozen=True)
class Session:
    account: Account
    csrf: str
    id_hash: str = ""  # what a reveal is bound to (console/reveal.py)


def id_hash(secret: str, session_id: str) -> str:
    return hmac.new(secret.encode(), session_id.encode(), hashlib.sha256).hexdigest()


def start(engine: Engine, secret: str, account: Account, hours: float) -> str:
    """Stores a new session and returns its id for the cookie."""
    session_id = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(sa.delete(sessions).where(sessions.c.expires_at < time.time()))
        conn.execute(
            sa.insert(sessions).values(
                id_hash=id_hash(secret, session_id),
                user_id=account.id,
                csrf=secrets.token_urlsafe(32),
                expires_at=time.time() + hours * 3600,
            )
        )
    return session_id


def find(engine: Engine, secret: str, session_id: str | None) -> Session | None:
    if not session_id or len(session_id) > 128:
        return None
    query = (
        sa.select(sessions.c.csrf, users.c.id, users.c.username, users.c.role)
        .join(users, users.c.id == sessions.c.user_id)
        .where(sessions.c.id_hash == id_hash(secret, session_id))
        .where(sessions.c.expires_at > time.time())
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    return Session(Account(row.id, row.username, row.role), row.csrf, id_hash(secret, session_id))


def end(engine: Engine, secret: str, session_id: str | None) -> None:
    if session_id:
        with engine.begin() as conn:
            conn.execute(
                sa.delete(sessions).where(sessions.c.id_hash == id_hash(secret, session_id))
            )


def same_token(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; a missing token never matches."""
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))
