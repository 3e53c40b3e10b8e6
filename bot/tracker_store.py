"""Rasa's SQL tracker store, with IBANs masked in every event before it is written.

Configured in the endpoints file as `type: bot.tracker_store.RedactingSQLTrackerStore` with
`url:` set to `TRACKER_DB_URL` (SQLite or PostgreSQL). Rasa passes that URL as `host`, and
`SQLTrackerStore` uses a `host` containing `://` as the whole database URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from bot.redaction import redact


class RedactingSQLTrackerStore(SQLTrackerStore):
    """Stores events like `SQLTrackerStore`, but each one passes through `redact` first.

    The tracker read back on the next turn is the redacted one, so a clear IBAN lives only in
    memory for the turn in which the citizen typed it.
    """

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        for event in super()._additional_events(session, tracker):
            original = event.as_dict()
            masked = redact(original)
            if masked == original:
                # Nothing IBAN-shaped: most events. Rebuilding them would cost a lookup of the
                # event class among all of Rasa's event types, per event and turn (issue 9).
                yield event
                continue
            redacted = Event.from_parameters(masked)
            if redacted is None:  # only for event types Rasa does not know: never store raw
                raise ValueError(f"cannot redact event of type {event.type_name!r}")
            yield redacted
