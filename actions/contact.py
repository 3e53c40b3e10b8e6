"""Ways to a person, and honest answers for the services still being built."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.city import City, intent_label, load_city
from actions.language import current_language


def contact_details(city: City, language: str) -> dict[str, str]:
    """Template values for the responses that name the city's phone and hours."""
    return {
        "phone": city.switchboard_phone,
        "hours": city.contact_hours(language),
        "service_number": city.service_number,
    }


class ActionHumanContact(Action):
    def name(self) -> str:
        return "action_human_contact"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        details = contact_details(load_city(), current_language(tracker))
        dispatcher.utter_message(response="utter_human_contact", **details)
        return []


class ActionInterimAnswer(Action):
    """Says what the assistant will do for a topic and who helps until then.

    Used for the intents whose flows later issues build; each answer names the office from
    `data/city.yml` responsible for the topic.
    """

    def name(self) -> str:
        return "action_interim_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = current_language(tracker)
        topic = (tracker.latest_message.get("intent") or {}).get("name") or "faq"
        office = load_city().office_for(topic)
        email = office.text("email", language)
        note = office.text("note", language)
        extra = (f", {email}" if email else "") + (f". {note.rstrip('.')}" if note else "")
        dispatcher.utter_message(
            response="utter_interim",
            topic=intent_label(topic, language),
            office_name=office.text("name", language),
            office_address=office.text("address", language),
            office_phone=office.text("phone", language),
            office_extra=extra,
        )
        return []
