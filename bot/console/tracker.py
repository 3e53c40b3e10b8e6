"""Reads (and for retention prunes) Rasa's tracker store: the `events` table, SQLite or PostgreSQL.

The table is Rasa's (`SQLTrackerStore.SQLEvent`); it is declared here with the columns the
console reads, so the console does not import Rasa and starts in a second.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.console.conversation import Summary, summarize

metadata = sa.MetaData()
events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)
BATCH = 500


def has_events(engine: Engine) -> bool:
    """Rasa creates the table at its first start; until then there is nothing to show."""
    return bool(sa.inspect(engine).has_table("events"))


def _decode(row: Any) -> dict[str, Any]:
    try:
        data = json.loads(row.data or "{}")
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    data.setdefault("event", row.type_name)
    data["timestamp"] = row.timestamp
    return data


def load_events(engine: Engine, sender_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Every event of the given conversations, in the order Rasa wrote them."""
    wanted = list(dict.fromkeys(sender_ids))
    result: dict[str, list[dict[str, Any]]] = {sender: [] for sender in wanted}
    if not wanted or not has_events(engine):
        return result
    with engine.connect() as conn:
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start : start + BATCH]
            query = sa.select(events).where(events.c.sender_id.in_(chunk)).order_by(events.c.id)
            for row in conn.execute(query):
                result[row.sender_id].append(_decode(row))
    return result


def conversation_events(engine: Engine, sender_id: str) -> list[dict[str, Any]]:
    return load_events(engine, [sender_id])[sender_id]


def senders(engine: Engine, since: float | None = None, until: float | None = None) -> list[str]:
    """Conversations with activity in the time range, the latest activity first."""
    if not has_events(engine):
        return []
    last = sa.func.max(events.c.timestamp)
    first = sa.func.min(events.c.timestamp)
    query = sa.select(events.c.sender_id).group_by(events.c.sender_id)
    if since is not None:
        query = query.having(last >= since)
    if until is not None:
        query = query.having(first < until)
    with engine.connect() as conn:
        return [row.sender_id for row in conn.execute(query.order_by(last.desc()))]


def summaries(
    engine: Engine, since: float | None = None, until: float | None = None
) -> list[Summary]:
    ids = senders(engine, since, until)
    loaded = load_events(engine, ids)
    return [summarize(sender, loaded[sender]) for sender in ids]


def stale_senders(engine: Engine, cutoff: float) -> list[str]:
    """Conversations whose latest event is older than the cutoff."""
    if not has_events(engine):
        return []
    query = (
        sa.select(events.c.sender_id)
        .group_by(events.c.sender_id)
        .having(sa.func.max(events.c.timestamp) < cutoff)
        .order_by(events.c.sender_id)
    )
    with engine.connect() as conn:
        return [row.sender_id for row in conn.execute(query)]


def delete_conversations(engine: Engine, sender_ids: Iterable[str]) -> int:
    """Deletes every event of the conversations; returns the number of events deleted."""
    wanted = list(sender_ids)
    deleted = 0
    with engine.begin() as conn:
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start : start + BATCH]
            deleted += conn.execute(sa.delete(events).where(events.c.sender_id.in_(chunk))).rowcount
    return deleted
