"""The redacting tracker store on a real SQLite file: IBANs masked, other events unchanged."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import RedactingSQLTrackerStore

IBAN = "DE89 3704 0044 0532 0130 00"


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
    assert "3704" not in text and "0532" not in text
    assert "DE89 **** **** **** **30 00" in text

    again = asyncio.run(store.retrieve("citizen"))
    assert again is not None
    assert [e.as_dict() for e in again.events][:2] == [e.as_dict() for e in events[:2]]
    assert again.events[2].as_dict()["text"] == "meine IBAN ist DE89 **** **** **** **30 00"
