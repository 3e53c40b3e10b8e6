"""Signing sessions, accepted assertion ids and notifications to the conversation.

The tables are defined here, on the portal's one `metadata` (`tables.py`), and created by the
migration 0003.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from portal.storage.tables import metadata

# A link a citizen opens to log in with BundID / the Servicekonto for one action on one
# subject (a mandate, a draft) in one conversation. The link's token is kept only as a keyed
# hash; what the login proved, never the assertion.
signing_sessions = sa.Table(
    "signing_sessions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("purpose", sa.String(32), nullable=False),
    sa.Column("subject_id", sa.String(64), nullable=False),
    sa.Column("conversation_id", sa.String(128), nullable=False),
    sa.Column("output_channel", sa.String(32), nullable=False),
    sa.Column("language", sa.String(2), nullable=False),
    sa.Column("required_level", sa.String(16), nullable=False),
    # pending -> completed | failed; "expired" is read from expires_at
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
    sa.Column("opened_at", sa.DateTime, nullable=True),
    sa.Column("finished_at", sa.DateTime, nullable=True),
    # the AuthnRequest's ID: the only response the ACS accepts for this session
    sa.Column("request_id", sa.String(64), nullable=True, unique=True),
    sa.Column("level", sa.String(16), nullable=True),
    sa.Column("signer_name", sa.String(200), nullable=True),
    sa.Column("failure", sa.String(32), nullable=True),
    # what the login proved: IdP, assertion id and times, HMAC of the pseudonym (JSON)
    sa.Column("evidence", sa.Text, nullable=True),
    # name, birth date, address, e-mail as the IdP sent them (Fernet-encrypted JSON)
    sa.Column("identity_encrypted", sa.Text, nullable=True),
    # set when a service request or a revocation used this session (each session once)
    sa.Column("consumed_at", sa.DateTime, nullable=True),
    sa.Index("ix_signing_sessions_subject", "purpose", "subject_id"),
)

# Every assertion id the ACS accepted: a response posted again is refused as replayed.
saml_assertions = sa.Table(
    "saml_assertions",
    metadata,
    sa.Column("assertion_id", sa.String(200), primary_key=True),
    sa.Column("idp_entity_id", sa.String(300), nullable=False),
    sa.Column("session_id", sa.String(32), nullable=True),
    sa.Column("received_at", sa.DateTime, nullable=False),
)

# The conversation is told that a login ended (Rasa's trigger_intent): written in the
# transaction that finished the session, sent by a worker with retries, like the mails.
rasa_notifications = sa.Table(
    "rasa_notifications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("session_id", sa.String(32), nullable=False, index=True),
    sa.Column("conversation_id", sa.String(128), nullable=False),
    sa.Column("output_channel", sa.String(32), nullable=False),
    # pending -> sending (claimed until claimed_until) -> sent | failed
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.DateTime, nullable=False),
    sa.Column("claimed_until", sa.DateTime, nullable=True),
    sa.Column("last_error", sa.String(300), nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("sent_at", sa.DateTime, nullable=True),
    sa.Index("ix_rasa_notifications_status_next", "status", "next_attempt_at"),
)


def insert(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(signing_sessions.insert().values(**row))


def get(conn: Connection, session_id: str, lock: bool = False) -> Row | None:
    query = sa.select(signing_sessions).where(signing_sessions.c.id == session_id)
    if lock:
        query = query.with_for_update()
    row: Row | None = conn.execute(query).one_or_none()
    return row


def by_token_hash(conn: Connection, token_hash: str) -> Row | None:
    query = sa.select(signing_sessions).where(signing_sessions.c.token_hash == token_hash)
    row: Row | None = conn.execute(query.with_for_update()).one_or_none()
    return row


def by_request_id(conn: Connection, request_id: str) -> Row | None:
    query = sa.select(signing_sessions).where(signing_sessions.c.request_id == request_id)
    row: Row | None = conn.execute(query.with_for_update()).one_or_none()
    return row


def update(conn: Connection, session_id: str, **values: Any) -> None:
    conn.execute(
        signing_sessions.update().where(signing_sessions.c.id == session_id).values(**values)
    )


def consume(conn: Connection, session_id: str, now: dt.datetime) -> bool:
    """Mark a completed session used; False when it was used already (each session once)."""
    result = conn.execute(
        signing_sessions.update()
        .where(
            signing_sessions.c.id == session_id,
            signing_sessions.c.status == "completed",
            signing_sessions.c.consumed_at.is_(None),
        )
        .values(consumed_at=now)
    )
    return bool(result.rowcount == 1)


def remember_assertion(
    conn: Connection, assertion_id: str, idp: str, session_id: str | None, now: dt.datetime
) -> bool:
    """Record an accepted assertion id; False when it was seen before (a replay)."""
    exists = conn.execute(
        sa.select(saml_assertions.c.assertion_id).where(
            saml_assertions.c.assertion_id == assertion_id
        )
    ).first()
    if exists is not None:
        return False
    try:
        with conn.begin_nested():
            conn.execute(
                saml_assertions.insert().values(
                    assertion_id=assertion_id[:200],
                    idp_entity_id=idp[:300],
                    session_id=session_id,
                    received_at=now,
                )
            )
    except IntegrityError:
        return False  # a concurrent post of the same response was quicker
    return True
