"""What staff add to a conversation in the console database: review status, tags, handoffs
(the access log is console/audit.py).

>>> clean_tag("  Müll abholen ")
'müll abholen'
>>> clean_tag("")
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from console.db import handoffs, reviews, tags

STATUSES = ("new", "reviewed", "needs_training_data")
MAX_TAG = 64


def clean_tag(tag: str) -> str | None:
    cleaned = " ".join(tag.split()).casefold()[:MAX_TAG]
    return cleaned or None


def statuses(engine: Engine, sender_ids: Iterable[str] | None = None) -> dict[str, str]:
    query = sa.select(reviews.c.sender_id, reviews.c.status)
    if sender_ids is not None:
        query = query.where(reviews.c.sender_id.in_(list(sender_ids)))
    with engine.connect() as conn:
        return {row.sender_id: row.status for row in conn.execute(query)}


def set_status(engine: Engine, sender_id: str, status: str, username: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"unknown review status {status!r}")
    with engine.begin() as conn:
        conn.execute(sa.delete(reviews).where(reviews.c.sender_id == sender_id))
        conn.execute(
            sa.insert(reviews).values(
                sender_id=sender_id, status=status, updated_by=username, updated_at=time.time()
            )
        )


def all_tags(engine: Engine) -> dict[str, set[str]]:
    result: dict[str, set[str]] = {}
    with engine.connect() as conn:
        for row in conn.execute(sa.select(tags)):
            result.setdefault(row.sender_id, set()).add(row.tag)
    return result


def tags_of(engine: Engine, sender_id: str) -> list[str]:
    with engine.connect() as conn:
        query = sa.select(tags.c.tag).where(tags.c.sender_id == sender_id).order_by(tags.c.tag)
        return [row.tag for row in conn.execute(query)]


def add_tag(engine: Engine, sender_id: str, tag: str) -> None:
    cleaned = clean_tag(tag)
    if cleaned is None or cleaned in tags_of(engine, sender_id):
        return
    with engine.begin() as conn:
        conn.execute(sa.insert(tags).values(sender_id=sender_id, tag=cleaned))


def remove_tag(engine: Engine, sender_id: str, tag: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.delete(tags).where(tags.c.sender_id == sender_id, tags.c.tag == tag))


def handoff_owner(engine: Engine, sender_id: str) -> str | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(handoffs).where(handoffs.c.sender_id == sender_id)).first()
    return None if row is None else str(row.taken_by)


def take(engine: Engine, sender_id: str, username: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.delete(handoffs).where(handoffs.c.sender_id == sender_id))
        conn.execute(
            sa.insert(handoffs).values(sender_id=sender_id, taken_by=username, taken_at=time.time())
        )


def release(engine: Engine, sender_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.delete(handoffs).where(handoffs.c.sender_id == sender_id))


def forget(engine: Engine, sender_ids: Iterable[str]) -> None:
    """Removes what the console holds about deleted conversations (the access log stays)."""
    wanted = list(sender_ids)
    with engine.begin() as conn:
        for table in (reviews, tags, handoffs):
            conn.execute(sa.delete(table).where(table.c.sender_id.in_(wanted)))
