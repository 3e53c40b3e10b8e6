"""Feedback after a completed request: thumbs up or down, then an optional comment.

Kept on the conversation (slot ``feedback_log``, one entry per request) for the staff console.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import keywords
from actions.services import checks
from actions.services.form_base import Field, ServiceForm, Turn
from rules.errors import InputError


async def rating(text: str, turn: Turn) -> str:
    """Thumbs up or down: the buttons' affirm/deny, or words of ``data/keywords``."""
    lowered = text.lower()
    if turn.intent == "affirm" or any(word in lowered for word in keywords.words("rating_up")):
        return "up"
    if turn.intent == "deny" or any(word in lowered for word in keywords.words("rating_down")):
        return "down"
    raise InputError("no rating", code="invalid")


async def comment(text: str, turn: Turn) -> str:
    if turn.intent == "deny":
        return "-"
    return checks.short_text(text, 500)


class ValidateFeedbackForm(ServiceForm):
    form = "feedback_form"
    fields = (Field("feedback_rating", rating), Field("feedback_comment", comment))


class ActionFeedbackDone(Action):
    """Keeps the rating (if any) on the conversation and thanks; also ends a skipped form."""

    def name(self) -> str:
        return "action_feedback_done"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        events: list[EventType] = [
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            SlotSet("feedback_rating", None),
            SlotSet("feedback_comment", None),
        ]
        rated = tracker.get_slot("feedback_rating")
        if rated is None:
            dispatcher.utter_message(response="utter_feedback_skipped")
            return events
        entry = {
            "reference": tracker.get_slot("last_reference"),
            "rating": rated,
            "comment": tracker.get_slot("feedback_comment") or "-",
            "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        log = [*(tracker.get_slot("feedback_log") or []), entry]
        dispatcher.utter_message(response="utter_feedback_thanks")
        return [*events, SlotSet("feedback_log", log)]
