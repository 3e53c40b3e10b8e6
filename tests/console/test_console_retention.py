"""Retention on real tracker stores (SQLite and PostgreSQL) written by Rasa's own store code,
with the clock given (`now`, the command's `--now`, or BUERGERBOT_NOW): conversation sessions
go by their own age, so a citizen who writes once a quarter loses the old quarters and keeps
the new one; the access log loses its old entries; Rasa still reads and appends the rest."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from console import audit, retention, reviews, tracker
from console.db import engine_for, open_console_db
from tests.e2e.console.console_harness import (
    ROOT,
    action,
    bot,
    console_env,
    database,
    user,
    write_conversation,
)

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc).timestamp()
DAY = 86400.0


def session(at: float, text: str) -> list[Any]:
    """One conversation session as Rasa writes it: start action, session_started, a turn."""
    from rasa.shared.core.events import SessionStarted

    return [
        action("action_session_start", at),
        SessionStarted(timestamp=at),
        action("action_listen", at),
        user(text, "greet", 0.9, at + 1, channel="whatsapp"),
        bot(f"Antwort auf {text}", at + 2),
    ]


@pytest.fixture(params=["sqlite", "postgresql"])
def tracker_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request.param, tmp_path, "tracker") as url:
        # 100 days old; 89 days old; started 120 days ago but active 10 days ago (one session).
        write_conversation(url, "old", [user("alt", "greet", 0.9, NOW - 100 * DAY)])
        write_conversation(url, "recent", [user("neu", "greet", 0.9, NOW - 89 * DAY)])
        write_conversation(
            url,
            "long",
            [user("lang", "greet", 0.9, NOW - 120 * DAY), bot("ja", NOW - 10 * DAY)],
        )
        # a messenger citizen who writes once a quarter: three sessions
        write_conversation(
            url,
            "whatsapp:4915112345678",
            [
                *session(NOW - 200 * DAY, "Winter"),
                *session(NOW - 100 * DAY, "Frühling"),
                *session(NOW - 5 * DAY, "Sommer"),
            ],
        )
        yield url
        engine_for(url).dispose()


def texts(engine: sa.engine.Engine, sender: str) -> list[str]:
    return [
        str(e.get("text")) for e in tracker.conversation_events(engine, sender) if e.get("text")
    ]


def test_reader_lists_by_latest_activity_and_range(tracker_url: str) -> None:
    engine = engine_for(tracker_url)
    assert tracker.senders(engine) == ["whatsapp:4915112345678", "long", "recent", "old"]
    assert tracker.senders(engine, since=NOW - 50 * DAY) == ["whatsapp:4915112345678", "long"]
    assert tracker.senders(engine, until=NOW - 110 * DAY) == ["whatsapp:4915112345678", "long"]
    events = tracker.conversation_events(engine, "long")
    assert [e["event"] for e in events] == ["user", "bot"]
    assert tracker.conversation_events(engine, "none") == []
    engine.dispose()


def test_sessions_go_by_their_own_age(tracker_url: str, tmp_path: Path) -> None:
    engine = engine_for(tracker_url)
    console = open_console_db(f"sqlite:///{tmp_path / 'console.db'}")
    reviews.add_tag(console, "old", "alt")
    reviews.add_tag(console, "whatsapp:4915112345678", "bleibt")
    dry = retention.apply(engine, console, days=90, dry_run=True, now=NOW)
    assert dry.conversations == ["old"] and dry.events_deleted == 0 and dry.sessions_deleted == 3
    assert dry.shortened == ["whatsapp:4915112345678"]
    assert len(tracker.senders(engine)) == 4
    done = retention.apply(engine, console, days=90, now=NOW)
    assert done.conversations == ["old"] and done.events_deleted == 1 + 2 * 5
    assert tracker.senders(engine) == ["whatsapp:4915112345678", "long", "recent"]
    citizen = "whatsapp:4915112345678"
    assert texts(engine, citizen) == ["Sommer", "Antwort auf Sommer"]
    assert texts(engine, "long") == ["lang", "ja"]  # one session: its last event counts
    assert reviews.tags_of(console, "old") == [] and reviews.tags_of(console, citizen) == ["bleibt"]
    later = retention.apply(engine, console, days=90, now=NOW + 5 * DAY)
    assert later.conversations == ["recent"]
    with pytest.raises(ValueError):
        retention.apply(engine, console, days=0)
    engine.dispose()


def test_rasa_reads_and_appends_what_is_left(tracker_url: str, tmp_path: Path) -> None:
    """After old sessions went, Rasa's store rebuilds the current session and appends new
    events once (it counts the stored events of the latest session to know what it saved)."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered

    from bot.tracker_store import RedactingSQLTrackerStore

    engine = engine_for(tracker_url)
    console = open_console_db(f"sqlite:///{tmp_path / 'console.db'}")
    retention.apply(engine, console, days=90, now=NOW)
    citizen = "whatsapp:4915112345678"

    async def read_and_append() -> int:
        store = RedactingSQLTrackerStore(domain=Domain.empty(), host=tracker_url)
        tracker_ = await store.retrieve(citizen)
        assert tracker_ is not None
        count = len(tracker_.events)
        tracker_.update(UserUttered("noch eine Frage", timestamp=NOW))
        await store.save(tracker_)
        store.engine.dispose()
        return count

    assert asyncio.run(read_and_append()) == 5
    assert texts(engine, citizen) == ["Sommer", "Antwort auf Sommer", "noch eine Frage"]
    engine.dispose()


def test_the_access_log_loses_old_entries(tracker_url: str, tmp_path: Path) -> None:
    console = open_console_db(f"sqlite:///{tmp_path / 'console.db'}")
    for age in (400, 366, 364, 1):
        audit.append(console, NOW - age * DAY, "anna", "view", "old", f"{age}")
    engine = engine_for(tracker_url)
    result = retention.apply(engine, console, days=90, now=NOW, access_log_days=365)
    assert result.access_log_deleted == 2
    assert sorted(row.detail for row in audit.entries(console)) == ["1", "364"]
    engine.dispose()


def run_command(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "console", "retention", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_the_retention_command(tracker_url: str, tmp_path: Path) -> None:
    console_url = f"sqlite:///{tmp_path / 'console.db'}"
    env = console_env(tmp_path, tracker_url, console_url)
    audit.append(open_console_db(console_url), NOW - 400 * DAY, "anna", "view", "old")
    now = ["--now", "2026-06-01T00:00:00+00:00"]
    dry = run_command(env, "--days", "90", "--dry-run", *now)
    assert dry.returncode == 0, dry.stderr
    assert (
        "dry run: 3 conversation sessions" in dry.stdout
        and "1 conversations entirely" in dry.stdout
    )
    assert "dry run: 1 access log entries" in dry.stdout
    assert len(tracker.senders(engine_for(tracker_url))) == 4
    wider = run_command(env, "--days", "30", "--dry-run", *now)
    assert "4 conversation sessions" in wider.stdout and "2 conversations entirely" in wider.stdout
    # the clock of the settings (BUERGERBOT_NOW), and the period of the settings
    timed = {**env, "BUERGERBOT_NOW": "2026-06-01T00:00:00+00:00", "CONSOLE_RETENTION_DAYS": "90"}
    done = run_command(timed)
    assert done.returncode == 0, done.stderr
    assert "3 conversation sessions older than 2026-03-03T00:00:00+00:00 deleted" in done.stdout
    assert "1 access log entries older than 2025-06-01T00:00:00+00:00 deleted" in done.stdout
    assert tracker.senders(engine_for(tracker_url)) == ["whatsapp:4915112345678", "long", "recent"]
    assert run_command(env, "--days", "0").returncode == 2
    assert os.environ.get("TRACKER_DB_URL") != tracker_url  # the test's store, not a real one


def test_summary_cache_reads_only_conversations_with_changed_events(tracker_url: str) -> None:
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
    listed = [s.sender_id for s in cache.summaries(engine)]
    assert listed == ["recent", "whatsapp:4915112345678", "long"]
    # old sessions pruned: the conversation's newest event is the same, its summary is not
    citizen = "whatsapp:4915112345678"
    before = second[citizen]
    assert "Winter" in before.texts
    tracker.delete_events(engine, tracker.old_sessions(engine, NOW - 90 * DAY).event_ids)
    after = {s.sender_id: s for s in cache.summaries(engine)}[citizen]
    assert after is not before and "Winter" not in after.texts
    engine.dispose()
