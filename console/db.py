"""The console's own database: accounts, sessions, reviews, tags, handoffs, access log.

It is separate from the tracker store, which belongs to Rasa and which the console only reads
(and, for retention and deletion, prunes).
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

metadata = sa.MetaData()

users = sa.Table(
    "console_users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("failed_logins", sa.Integer, nullable=False, default=0),
    sa.Column("locked_until", sa.Float, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

sessions = sa.Table(
    "console_sessions",
    metadata,
    # Only a keyed hash of the session id is stored: a copy of the database opens no session.
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("console_users.id", ondelete="CASCADE")),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)

# Append-only (console/audit.py): triggers refuse every UPDATE and every DELETE except the
# retention's, which deletes rows older than the cutoff it writes into `access_log_prune`
# inside the same transaction.
access_log = sa.Table(
    "console_access_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.Float, nullable=False, index=True),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("sender_id", sa.String(255), nullable=False),  # "" when no conversation
    sa.Column("what", sa.String(32), nullable=False),
    # the reason of a reveal, a search's words, the account changed (added 2026-12)
    sa.Column("detail", sa.String(500), nullable=True),
)

access_log_prune = sa.Table(
    "console_access_log_prune",
    metadata,
    sa.Column("cutoff", sa.Float, nullable=False),
)

# An admin's reveal of one conversation: valid for the session that asked, until expires_at.
reveals = sa.Table(
    "console_reveals",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("session_hash", sa.String(64), nullable=False, index=True),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)

reviews = sa.Table(
    "console_reviews",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("updated_by", sa.String(64), nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

tags = sa.Table(
    "console_tags",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("tag", sa.String(64), primary_key=True),
)

handoffs = sa.Table(
    "console_handoffs",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("taken_by", sa.String(64), nullable=False),
    sa.Column("taken_at", sa.Float, nullable=False),
)


def engine_for(url: str) -> Engine:
    """An engine for a SQLite or PostgreSQL URL; a SQLite file's folder is created."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////:memory:"):
        path = Path(url.removeprefix("sqlite:///"))
        if str(path) not in ("", ":memory:"):
            path.parent.mkdir(parents=True, exist_ok=True)
    return sa.create_engine(url, future=True, pool_pre_ping=True)


def open_console_db(url: str) -> Engine:
    engine = engine_for(url)
    metadata.create_all(engine)
    _add_missing_columns(engine)
    from console import audit  # the triggers need the tables first

    audit.install_append_only(engine)
    return engine


def _add_missing_columns(engine: Engine) -> None:
    """Columns added after a database was made (the console has no migrations yet)."""
    present = {c["name"] for c in sa.inspect(engine).get_columns("console_access_log")}
    if "detail" not in present:
        with engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE console_access_log ADD COLUMN detail VARCHAR(500)"))
