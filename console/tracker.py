"""Reads (and for retention prunes) Rasa's tracker store: the `events` table, SQLite or PostgreSQL.

The table is Rasa's (`SQLTrackerStore.SQLEvent`); it is declared here with the columns the
console reads, so the console does not import Rasa and starts in a second.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from console.conversation import Summary, summarize
from console.pseudonym import Pseudonyms

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


def activity(
    engine: Engine, since: float | None = None, until: float | None = None
) -> list[tuple[str, tuple[int, int]]]:
    """(conversation, (id of its newest event, number of events)) with activity in the range,
    latest first. The number changes when retention deletes a conversation's old sessions."""
    if not has_events(engine):
        return []
    last = sa.func.max(events.c.timestamp)
    query = sa.select(
        events.c.sender_id,
        sa.func.max(events.c.id).label("last_id"),
        sa.func.count(events.c.id).label("events"),
    )
    query = query.group_by(events.c.sender_id)
    if since is not None:
        query = query.having(last >= since)
    if until is not None:
        query = query.having(sa.func.min(events.c.timestamp) < until)
    with engine.connect() as conn:
        return [
            (row.sender_id, (row.last_id, row.events))
            for row in conn.execute(query.order_by(last.desc()))
        ]


def summaries(
    engine: Engine, since: float | None = None, until: float | None = None
) -> list[Summary]:
    return SummaryCache().summaries(engine, since, until)


class SummaryCache:
    """Summaries kept per conversation until its events change (a new one, or old ones pruned).

    Every list view filters all conversations; decoding each event again for every page would
    grow with the whole history, so only conversations with changed events are read again.
    With `pseudonyms`, a summary is made from the pseudonymised events: its texts (what the
    list shows and the search looks through) carry placeholders, never the personal values.
    """

    def __init__(self, pseudonyms: Pseudonyms | None = None) -> None:
        self.pseudonyms = pseudonyms
        self._known: dict[str, tuple[tuple[int, int], Summary]] = {}
        self._by_handle: dict[str, str] = {}

    def summaries(
        self, engine: Engine, since: float | None = None, until: float | None = None
    ) -> list[Summary]:
        current = activity(engine, since, until)
        stale = {sender: mark for sender, mark in current if self._cached_mark(sender) != mark}
        loaded = load_events(engine, stale)
        for sender, mark in stale.items():
            found = loaded[sender]
            if self.pseudonyms is not None:
                found = self.pseudonyms.pseudonymise(sender, found)
            summary = summarize(sender, found)
            if self.pseudonyms is not None:
                summary.handle = self.pseudonyms.handle(sender)
                self._by_handle[summary.handle] = sender
            self._known[sender] = (mark, summary)
        return [self._known[sender][1] for sender, _ in current]

    def sender_of(self, engine: Engine, handle: str) -> str | None:
        """The conversation a pseudonym names (None when there is none)."""
        if handle not in self._by_handle and self.pseudonyms is not None:
            for sender in senders(engine):
                self._by_handle[self.pseudonyms.handle(sender)] = sender
        return self._by_handle.get(handle)

    def forget(self, sender_ids: Iterable[str]) -> None:
        for sender in sender_ids:
            self._known.pop(sender, None)

    def _cached_mark(self, sender_id: str) -> tuple[int, int] | None:
        known = self._known.get(sender_id)
        return None if known is None else known[0]


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


SESSION_START_ACTION = "action_session_start"
SESSION_STARTED = "session_started"


@dataclass
class OldSessions:
    """What retention would delete: the event ids of sessions older than the cutoff, and the
    conversations that lose every event (nothing newer is left)."""

    event_ids: list[int] = field(default_factory=list)
    sessions: int = 0
    conversations: set[str] = field(default_factory=set)
    whole: list[str] = field(default_factory=list)


def old_sessions(engine: Engine, cutoff: float) -> OldSessions:
    """The conversation sessions whose last event is older than the cutoff.

    A session runs from Rasa's `action_session_start` (with the `session_started` after it)
    to the next one; events before the first start form a session too. Whole sessions go, never
    single events out of one: Rasa rebuilds the current session from its stored events and
    counts them to know what it has saved, so a gap inside the current session would corrupt
    the tracker. Older sessions are independent of it (a new session carries its slots over
    with events of its own), so a citizen who writes once a quarter loses the old quarters
    while the new one stays.
    """
    found = OldSessions()
    if not has_events(engine):
        return found
    query = sa.select(
        events.c.id, events.c.sender_id, events.c.type_name, events.c.action_name,
        events.c.timestamp,
    ).order_by(events.c.sender_id, events.c.id)  # fmt: skip
    current: list[int] = []
    last = 0.0
    only_a_start = False  # the session so far is the start action alone
    sender: str | None = None
    kept: set[str] = set()

    def close() -> None:
        nonlocal current, last
        if current and sender is not None:
            if last < cutoff:
                found.event_ids.extend(current)
                found.sessions += 1
                found.conversations.add(sender)
            else:
                kept.add(sender)
        current, last = [], 0.0

    with engine.connect() as conn:
        for row in conn.execution_options(stream_results=True).execute(query):
            starts = row.type_name == "action" and row.action_name == SESSION_START_ACTION
            started = row.type_name == SESSION_STARTED
            if row.sender_id != sender:
                close()
                sender = row.sender_id
            elif starts or (started and not only_a_start):
                close()
            current.append(row.id)
            only_a_start = starts and len(current) == 1
            last = max(last, row.timestamp or 0.0)
        close()
    found.whole = sorted(found.conversations - kept)
    return found


def delete_events(engine: Engine, event_ids: Iterable[int]) -> int:
    """Deletes events by id, in batches; returns the number deleted."""
    wanted = list(event_ids)
    deleted = 0
    with engine.begin() as conn:
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start : start + BATCH]
            deleted += conn.execute(sa.delete(events).where(events.c.id.in_(chunk))).rowcount
    return deleted


def delete_conversations(engine: Engine, sender_ids: Iterable[str]) -> int:
    """Deletes every event of the conversations; returns the number of events deleted."""
    wanted = list(sender_ids)
    deleted = 0
    with engine.begin() as conn:
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start : start + BATCH]
            deleted += conn.execute(sa.delete(events).where(events.c.sender_id.in_(chunk))).rowcount
    return deleted
