"""Retention of what the console reads and keeps, by the age of each piece, not of the whole:

- the tracker store (Rasa's `events` table): every conversation SESSION whose last event is
  older than `days` (CONSOLE_RETENTION_DAYS, default 90) is deleted, whatever newer sessions
  the conversation has; a conversation whose every session went is gone, and what the console
  holds about it (review status, tags, handoff) with it (console/tracker.py `old_sessions`);
- the access log: entries older than `access_log_days` (CONSOLE_ACCESS_LOG_RETENTION_DAYS,
  default 365), through the one delete its triggers allow (console/audit.py);
- expired reveals.

Operators schedule `python -m console retention` daily (the compose file's `retention`
service, the Helm CronJob `buergerbot-retention`); `--dry-run` only counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from console import audit, reviews, tracker
from console.db import reveals

DEFAULT_DAYS = 90
DEFAULT_ACCESS_LOG_DAYS = 365
DAY = 86400


@dataclass(frozen=True)
class RetentionResult:
    cutoff: float
    conversations: list[str]  # gone entirely
    sessions_deleted: int
    events_deleted: int
    access_log_cutoff: float
    access_log_deleted: int
    dry_run: bool
    shortened: list[str]  # lost old sessions, newer ones kept


def apply(
    tracker_engine: Engine,
    console_engine: Engine,
    days: int = DEFAULT_DAYS,
    dry_run: bool = False,
    now: float | None = None,
    access_log_days: int = DEFAULT_ACCESS_LOG_DAYS,
) -> RetentionResult:
    if days < 1 or access_log_days < 1:
        raise ValueError("days must be at least 1")
    if now is None:
        import clock

        now = clock.now().timestamp()
    cutoff = now - days * DAY
    old = tracker.old_sessions(tracker_engine, cutoff)
    log_cutoff = now - access_log_days * DAY
    deleted = 0
    if not dry_run and old.event_ids:
        deleted = tracker.delete_events(tracker_engine, old.event_ids)
        reviews.forget(console_engine, old.whole)
    logged = audit.prune(console_engine, log_cutoff, dry_run=dry_run)
    if not dry_run:
        with console_engine.begin() as conn:
            conn.execute(sa.delete(reveals).where(reveals.c.expires_at <= now))
    shortened = sorted(old.conversations - set(old.whole))
    return RetentionResult(
        cutoff, old.whole, old.sessions, deleted, log_cutoff, logged, dry_run, shortened
    )
