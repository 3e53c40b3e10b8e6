"""The redacting tracker store on a real SQLite file: IBANs masked, other events unchanged."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import RedactingSQLTrackerStore, TrackerWriteFailed

IBAN = "DE89 3704 0044 0532 0130 00"
# Two groups of the account in a row: a single group ("3704") turns up by chance in the
# events' timestamps (1796287444.4968245), in about 3 runs of 1,000.
LEAKS = ("3704 0044", "0044 0532", "0532 0130", "37040044", "00440532", "05320130")


def test_ibans_are_masked_and_other_events_stored_unchanged(tmp_path: Path) -> None:
    database = tmp_path / "tracker.db"
    store = RedactingSQLTrackerStore(Domain.empty(), host=f"sqlite:///{database}")
    events = [
        ActionExecuted("action_listen"),
        UserUttered("Hallo", {"name": "greet", "confidence": 0.9}),
        UserUttered(f"meine IBAN ist {IBAN}", {"name": "inform", "confidence": 0.8}),
        SlotSet("iban_masked", "DE89 **** **** **** **30 00"),
    ]
    tracker = DialogueStateTracker.from_events("citizen", events)
    asyncio.run(store.save(tracker))

    stored = sqlite3.connect(database).execute("SELECT data FROM events ORDER BY id").fetchall()
    text = "\n".join(row[0] for row in stored)
    assert not [leak for leak in LEAKS if leak in text], text
    assert "DE89 **** **** **** **30 00" in text

    again = asyncio.run(store.retrieve("citizen"))
    assert again is not None
    assert [e.as_dict() for e in again.events][:2] == [e.as_dict() for e in events[:2]]
    assert again.events[2].as_dict()["text"] == "meine IBAN ist DE89 **** **** **** **30 00"


def test_a_failed_write_logs_no_personal_data(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Rasa wraps the configured store in FailSafeTrackerStore, which logs the store's error
    # message; SQLAlchemy's message would carry the event's JSON (the statement's parameters).
    database = tmp_path / "tracker.db"
    store = RedactingSQLTrackerStore(Domain.empty(), host=f"sqlite:///{database}")
    with sqlite3.connect(database) as connection:  # every insert now fails inside the database
        connection.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON events BEGIN SELECT RAISE(FAIL, 'full'); END"
        )
    personal = "Erika Mustermann, erika.mustermann@example.de, Am Markt 1"
    tracker = DialogueStateTracker.from_events(
        "citizen-7", [UserUttered(personal, {"name": "inform", "confidence": 0.8})]
    )
    with pytest.raises(TrackerWriteFailed) as failed:
        asyncio.run(store.save(tracker))
    assert "Erika" not in str(failed.value) and "citizen-7" in str(failed.value)
    assert failed.value.__cause__ is None and failed.value.__suppress_context__

    caplog.set_level(logging.DEBUG)
    asyncio.run(FailSafeTrackerStore(store).save(tracker))
    logged = "\n".join(r.getMessage() + str(r.exc_info or "") for r in caplog.records)
    assert "writing the conversation 'citizen-7' failed: IntegrityError" in logged
    assert "Erika" not in logged and "example.de" not in logged and "Markt" not in logged
