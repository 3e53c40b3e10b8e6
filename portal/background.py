"""A background pass that repeats: wakes when asked (a request queued work), else polls.

The mail outbox (`portal.outbox.deliver_due`) and the conversation notices after a login
(`portal.rasa_notify.deliver_due`) are both queues in the database, delivered by such a pass
outside the request that queued them, so that a slow mail server or Rasa never holds an answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine, Row

log = logging.getLogger("portal.background")


class Worker:
    """Runs `deliver` (blocking, in a thread) again and again until stopped."""

    def __init__(self, name: str, deliver: Callable[[], object], poll: float = 1.0) -> None:
        self._name = name
        self._deliver = deliver
        self._poll = poll
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self._deliver)
            except asyncio.CancelledError:
                raise
            except Exception:  # the worker must outlive a database hiccup
                log.exception("%s pass failed", self._name)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll)
            self._wake.clear()


# The queues' rows share the columns status ("pending", "sending", then "sent" or "failed"),
# next_attempt_at and claimed_until: a row is due when pending and its time has come, or when a
# worker that claimed it died (its claim ran out).


def _due(table: sa.Table, now: dt.datetime) -> sa.sql.ColumnElement[bool]:
    return sa.or_(
        sa.and_(table.c.status == "pending", table.c.next_attempt_at <= now),
        sa.and_(table.c.status == "sending", table.c.claimed_until < now),
    )


def due_ids(engine: Engine, table: sa.Table, now: dt.datetime, limit: int) -> list[int]:
    """The rows of a queue due now, the longest waiting first."""
    query = (
        sa.select(table.c.id)
        .where(_due(table, now))
        .order_by(table.c.next_attempt_at, table.c.id)
        .limit(limit)
    )
    with engine.begin() as conn:
        return [int(i) for i in conn.execute(query).scalars().all()]


def claim(
    engine: Engine, table: sa.Table, row_id: int, now: dt.datetime, seconds: float
) -> Row | None:
    """Take one row for this worker for `seconds`; None when another worker was quicker."""
    until = now + dt.timedelta(seconds=seconds)
    with engine.begin() as conn:
        claimed = conn.execute(
            table.update()
            .where(table.c.id == row_id, _due(table, now))
            .values(status="sending", claimed_until=until)
        ).rowcount
        if claimed != 1:
            return None
        row: Row = conn.execute(sa.select(table).where(table.c.id == row_id)).one()
        return row
