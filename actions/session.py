"""The start of a conversation session: keep the language, greet with what the assistant can do."""

from __future__ import annotations

import os
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.city import load_city

# Slots worth carrying into a new session: the citizen's language, nothing personal.
CARRIED_SLOTS = ("language",)


def privacy_url(path: str) -> str:
    base = os.environ.get("WEBCHAT_PUBLIC_URL") or (
        f"http://127.0.0.1:{os.environ.get('WEBCHAT_PORT', '8000')}"
    )
    return base.rstrip("/") + path


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        city = load_city()
        dispatcher.utter_message(
            response="utter_welcome",
            city_name=city.name,
            privacy_url=privacy_url(city.privacy_path),
        )
        carried = [
            SlotSet(name, tracker.get_slot(name))
            for name in CARRIED_SLOTS
            if tracker.get_slot(name) is not None
        ]
        return [SessionStarted(), *carried, ActionExecuted("action_listen")]
