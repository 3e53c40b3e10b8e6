"""Rasa's SQL tracker store, with IBANs masked in every event before it is written.

Configured in the endpoints file as `type: bot.tracker_store.RedactingSQLTrackerStore` with
`url:` set to `TRACKER_DB_URL` (SQLite or PostgreSQL). Rasa passes that URL as `host`, and
`SQLTrackerStore` uses a `host` containing `://` as the whole database URL.

A failed write is reported without the event: SQLAlchemy's message carries the statement's
parameters (the event's JSON: names, e-mail addresses, messages) and the database's own detail
may quote a value, and Rasa logs that message as it is (``FailSafeTrackerStore``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from bot.redaction import redact


class TrackerWriteFailed(Exception):
    """The conversation could not be written; the message names the error, never the data."""


class RedactingSQLTrackerStore(SQLTrackerStore):
    """Stores events like `SQLTrackerStore`, but each one passes through `redact` first.

    The tracker read back on the next turn is the redacted one, so a clear IBAN lives only in
    memory for the turn in which the citizen typed it.
    """

    async def save(self, tracker: DialogueStateTracker) -> None:
        try:
            await super().save(tracker)
        except SQLAlchemyError as error:
            raise TrackerWriteFailed(_describe(error, tracker.sender_id)) from None

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


def _describe(error: SQLAlchemyError, sender_id: str) -> str:
    """What failed, for the operator: the error's classes and SQLSTATE, no parameter, no detail.

    >>> from sqlalchemy.exc import OperationalError
    >>> _describe(OperationalError("INSERT …", {"data": "erika@example.de"}, Exception("x")), "s1")
    "writing the conversation 's1' failed: OperationalError (Exception)"
    """
    cause = ""
    if isinstance(error, DBAPIError) and error.orig is not None:
        code = getattr(error.orig, "pgcode", None) or getattr(error.orig, "sqlstate", None)
        cause = f" ({type(error.orig).__name__}{f', SQLSTATE {code}' if code else ''})"
    return f"writing the conversation {sender_id!r} failed: {type(error).__name__}{cause}"
