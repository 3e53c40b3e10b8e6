"""An admin's reveal of one conversation: the clear data, for that admin's session only, for a
few minutes (CONSOLE_REVEAL_MINUTES, default 15), with a stated reason in the access log.

Reviewers can never reveal: the route is admin-only (console/guard.py) and a reveal counts
only while the session's account is an admin.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from console.db import reveals
from console.sessions import Session

MIN_REASON = 20
MAX_REASON = 500


class RevealRefused(ValueError):
    """The reason is missing or too short; the message is for the admin."""


def check_reason(reason: str) -> str:
    """The reason as it goes into the access log.

    >>> check_reason("  Rückfrage der Bürgerin zu ihrem Antrag SR-2026-000123  ")
    'Rückfrage der Bürgerin zu ihrem Antrag SR-2026-000123'
    >>> check_reason("weil")
    Traceback (most recent call last):
    ...
    console.reveal.RevealRefused: Begründung: mindestens 20 Zeichen / reason: at least 20 characters
    """
    cleaned = " ".join(reason.split())[:MAX_REASON]
    if len(cleaned) < MIN_REASON:
        raise RevealRefused(
            f"Begründung: mindestens {MIN_REASON} Zeichen / "
            f"reason: at least {MIN_REASON} characters"
        )
    return cleaned


def grant(engine: Engine, session: Session, sender_id: str, now: float, minutes: int) -> float:
    """Stores the reveal; returns when it ends."""
    expires = now + minutes * 60
    with engine.begin() as conn:
        conn.execute(sa.delete(reveals).where(reveals.c.expires_at <= now))
        conn.execute(
            sa.insert(reveals).values(
                session_hash=session.id_hash,
                username=session.account.username,
                sender_id=sender_id,
                at=now,
                expires_at=expires,
            )
        )
    return expires


def active(engine: Engine, session: Session | None, sender_id: str, now: float) -> float | None:
    """When this session's reveal of the conversation ends, or None if there is none."""
    if session is None or not session.account.is_admin or not session.id_hash:
        return None
    query = sa.select(sa.func.max(reveals.c.expires_at)).where(
        reveals.c.session_hash == session.id_hash,
        reveals.c.sender_id == sender_id,
        reveals.c.expires_at > now,
    )
    with engine.connect() as conn:
        found = conn.execute(query).scalar()
    return None if found is None else float(found)


def end_for_session(engine: Engine, session_hash: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.delete(reveals).where(reveals.c.session_hash == session_hash))
