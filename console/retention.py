"""Deletes conversations older than N days from the tracker store; a dry run only counts.

Operators schedule `python -m console retention --days 90` (cron, a systemd timer, a
Kubernetes CronJob). "Older" means the latest event, so a conversation still going on stays.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from console import reviews, tracker

DEFAULT_DAYS = 90


@dataclass(frozen=True)
class RetentionResult:
    cutoff: float
    conversations: list[str]
    events_deleted: int
    dry_run: bool


def apply(
    tracker_engine: Engine,
    console_engine: Engine,
    days: int = DEFAULT_DAYS,
    dry_run: bool = False,
    now: float | None = None,
) -> RetentionResult:
    if days < 1:
        raise ValueError("days must be at least 1")
    cutoff = (time.time() if now is None else now) - days * 86400
    stale = tracker.stale_senders(tracker_engine, cutoff)
    deleted = 0
    if not dry_run and stale:
        deleted = tracker.delete_conversations(tracker_engine, stale)
        reviews.forget(console_engine, stale)
    return RetentionResult(cutoff, stale, deleted, dry_run)
