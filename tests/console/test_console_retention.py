"""Retention and the tracker reader on real tracker stores (SQLite and PostgreSQL), written by
Rasa's own store code, with a controlled clock: the command's `--now`."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from console import retention, reviews, tracker
from console.db import engine_for, open_console_db
from tests.e2e.console.console_harness import (
    ROOT,
    bot,
    console_env,
    database,
    user,
    write_conversation,
)

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc).timestamp()
DAY = 86400.0


@pytest.fixture(params=["sqlite", "postgresql"])
def tracker_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request.param, tmp_path, "tracker") as url:
        # 100 days old; 89 days old; started 120 days ago but active 10 days ago.
        write_conversation(url, "old", [user("alt", "greet", 0.9, NOW - 100 * DAY)])
        write_conversation(url, "recent", [user("neu", "greet", 0.9, NOW - 89 * DAY)])
        write_conversation(
            url,
            "long",
            [user("lang", "greet", 0.9, NOW - 120 * DAY), bot("ja", NOW - 10 * DAY)],
        )
        yield url
        engine_for(url).dispose()


def test_reader_lists_by_latest_activity_and_range(tracker_url: str) -> None:
    engine = engine_for(tracker_url)
    assert tracker.senders(engine) == ["long", "recent", "old"]
    assert tracker.senders(engine, since=NOW - 50 * DAY) == ["long"]
    assert tracker.senders(engine, until=NOW - 110 * DAY) == ["long"]
    events = tracker.conversation_events(engine, "long")
    assert [e["event"] for e in events] == ["user", "bot"]
    assert tracker.conversation_events(engine, "none") == []
    engine.dispose()


def test_retention_dry_run_then_delete(tracker_url: str, tmp_path: Path) -> None:
    engine = engine_for(tracker_url)
    console = open_console_db(f"sqlite:///{tmp_path / 'console.db'}")
    reviews.add_tag(console, "old", "alt")
    dry = retention.apply(engine, console, days=90, dry_run=True, now=NOW)
    assert dry.conversations == ["old"] and dry.events_deleted == 0
    assert tracker.senders(engine) == ["long", "recent", "old"]
    done = retention.apply(engine, console, days=90, now=NOW)
    assert done.conversations == ["old"] and done.events_deleted >= 1
    assert tracker.senders(engine) == ["long", "recent"]
    assert reviews.tags_of(console, "old") == []
    later = retention.apply(engine, console, days=90, now=NOW + 5 * DAY)
    assert later.conversations == ["recent"]
    with pytest.raises(ValueError):
        retention.apply(engine, console, days=0)
    engine.dispose()


def run_command(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "console", "retention", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_the_retention_command(tracker_url: str, tmp_path: Path) -> None:
    env = console_env(tmp_path, tracker_url, f"sqlite:///{tmp_path / 'console.db'}")
    now = ["--now", "2026-06-01T00:00:00+00:00"]
    dry = run_command(env, "--days", "90", "--dry-run", *now)
    assert dry.returncode == 0, dry.stderr
    assert "dry run: 1 conversations" in dry.stdout
    assert tracker.senders(engine_for(tracker_url)) == ["long", "recent", "old"]
    wider = run_command(env, "--days", "30", "--dry-run", *now)
    assert "dry run: 2 conversations" in wider.stdout
    done = run_command(env, "--days", "90", *now)
    assert done.returncode == 0 and "deleted 1 conversations" in done.stdout
    assert tracker.senders(engine_for(tracker_url)) == ["long", "recent"]
    assert run_command(env, "--days", "0").returncode == 2
    assert os.environ.get("TRACKER_DB_URL") != tracker_url  # the test's store, not a real one


def test_summary_cache_reads_only_conversations_with_new_events(tracker_url: str) -> None:
    engine = engine_for(tracker_url)
    cache = tracker.SummaryCache()
    first = {s.sender_id: s for s in cache.summaries(engine)}
    # Rasa's store appends what the tracker holds beyond the stored events.
    again = [user("neu", "greet", 0.9, NOW - 89 * DAY), bot("noch da?", NOW - DAY)]
    write_conversation(tracker_url, "recent", again)
    second = {s.sender_id: s for s in cache.summaries(engine)}
    assert second["old"] is first["old"] and second["long"] is first["long"]
    assert second["recent"] is not first["recent"] and second["recent"].last == NOW - DAY
    tracker.delete_conversations(engine, ["old"])
    assert [s.sender_id for s in cache.summaries(engine)] == ["recent", "long"]
    engine.dispose()
