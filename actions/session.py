"""The start of a conversation session: keep the language, set the city's facts, greet.

The domain's responses name the city only through the `city_*` slots set here from `data/`
(`city.yml`, and `streets.yml` for the town and its postcodes, the ones the address checks
use), so that another city swaps `data/` and no response text.
"""

from __future__ import annotations

import os
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.city import load_city
from actions.services.streets import load_streets

# Slots worth carrying into a new session: the citizen's language, nothing personal.
CARRIED_SLOTS = ("language",)


def privacy_url(path: str) -> str:
    base = os.environ.get("WEBCHAT_PUBLIC_URL") or (
        f"http://127.0.0.1:{os.environ.get('WEBCHAT_PORT', '8000')}"
    )
    return base.rstrip("/") + path


def city_slots() -> dict[str, str]:
    """The values of the `city_*` slots (the same in both languages) from `data/`."""
    city, streets = load_city(), load_streets()
    return {
        "city_name": city.name,
        "city_town": streets.city,
        "city_postcodes": ", ".join(streets.postcodes),
        "city_citizens_office": city.citizens_office,
        "city_example_address": city.example_address,
        "city_example_phone": city.example_phone,
    }


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        city = load_city()
        # The welcome is rendered before the events below apply, so it gets its values directly.
        dispatcher.utter_message(
            response="utter_welcome",
            city_name=city.name,
            city_citizens_office=city.citizens_office,
            privacy_url=privacy_url(city.privacy_path),
        )
        carried = [
            SlotSet(name, tracker.get_slot(name))
            for name in CARRIED_SLOTS
            if tracker.get_slot(name) is not None
        ]
        facts = [SlotSet(name, value) for name, value in city_slots().items()]
        return [SessionStarted(), *carried, *facts, ActionExecuted("action_listen")]
