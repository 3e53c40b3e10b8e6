"""``check_status``: the state of an earlier request, by its reference (``SR-2026-000123``)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import keywords
from actions.language import current_language
from actions.portal_client import NotFound, PortalError, get_portal_client
from actions.services import checks
from actions.services.form_base import Field, ServiceForm, Turn


async def reference(text: str, turn: Turn) -> str:
    return checks.reference(text)


class ValidateCheckStatusForm(ServiceForm):
    form = "check_status_form"
    fields = (Field("request_reference", reference, "reference"),)


def status_label(status: str, language: str) -> str:
    return str(keywords.labels(language, "request_status").get(status, status))


class ActionCheckStatus(Action):
    def name(self) -> str:
        return "action_check_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        value = tracker.get_slot("request_reference")
        done: list[EventType] = [SlotSet("request_reference", None)]
        if not value:
            return done
        try:
            found = await get_portal_client().get_service_request(str(value))
        except NotFound:
            dispatcher.utter_message(response="utter_status_not_found", reference=value)
            return done
        except PortalError:
            dispatcher.utter_message(response="utter_service_unavailable")
            return done
        language = current_language(tracker)
        note = str(found.history[-1].get("note", "")) if found.history else ""
        dispatcher.utter_message(
            response="utter_status",
            reference=found.reference,
            status=status_label(found.status, language),
            note=note or "–",
        )
        return done
