"""``check_status``: the state of an earlier request, by its reference (``SR-2026-7KQM-4XDX``).

The portal tells a request's status only to the citizen who filed it: the same conversation,
or whoever gives a fact given at filing (the address, postcode, e-mail or phone). So the form
asks the portal first as this conversation; when that is not enough it asks for the second
fact. An unknown reference and one of someone else answer alike, so nobody learns which
references exist; misses count toward the portal's limits, told apart in the chat.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import keywords
from actions.client_identity import client_of
from actions.language import current_language
from actions.portal_client import NotFound, PortalError, Throttled, get_portal_client
from actions.services import checks
from actions.services.form_base import Field, ServiceForm, Turn
from rules.errors import InputError

STATUS_SLOTS = ("request_reference", "request_second_fact", "request_needs_fact")


async def reference(text: str, turn: Turn) -> str:
    try:
        return checks.reference(text)
    except InputError:
        # an entity may hold only part of a reference; the whole message may hold all of it
        found = checks.find_reference(turn.text)
        if found is None or found == text:
            raise
        return checks.reference(found)


async def second_fact(text: str, turn: Turn) -> str:
    value = " ".join(text.split())
    if not value:
        raise InputError("nothing given", code="empty")
    if len(value) > 254:
        raise InputError("too long", code="too_long")
    return value


def throttled(error: Throttled, dispatcher: CollectingDispatcher) -> None:
    minutes = max(1, math.ceil((error.retry_after or 15 * 60) / 60))
    response = (
        "utter_lookup_throttled_client" if error.limit == "client" else "utter_status_throttled"
    )
    dispatcher.utter_message(response=response, minutes=minutes)


class ValidateCheckStatusForm(ServiceForm):
    form = "check_status_form"
    fields = (
        Field("request_reference", reference, "reference"),
        Field("request_second_fact", second_fact),
    )
    state_slots: ClassVar[tuple[str, ...]] = ("request_needs_fact",)

    def required(self, turn: Turn) -> list[str]:
        if turn.stopped:
            return []
        if turn.slot("request_needs_fact"):
            return ["request_reference", "request_second_fact"]
        return ["request_reference"]

    def dependents(self, slot: str) -> tuple[str, ...]:
        # another reference: whether it is this conversation's must be asked again
        return ("request_needs_fact", "request_second_fact") if slot == "request_reference" else ()

    async def after(self, turn: Turn) -> dict[str, Any]:
        """Once the reference is there: is it this conversation's own? Else ask the fact."""
        value = turn.slot("request_reference")
        if not value or turn.slot("request_needs_fact") is not None:
            return {}
        try:
            await get_portal_client().lookup_service_request(str(value), client_of(turn.tracker))
        except NotFound:
            return {"request_needs_fact": True}
        except Throttled as error:
            throttled(error, turn.dispatcher)
            turn.stopped = True
            return {slot: None for slot in STATUS_SLOTS}
        except PortalError:
            turn.say("utter_service_unavailable")
            turn.stopped = True
            return {slot: None for slot in STATUS_SLOTS}
        return {"request_needs_fact": False}


def status_label(status: str, language: str) -> str:
    return str(keywords.labels(language, "request_status").get(status, status))


class ActionCheckStatus(Action):
    def name(self) -> str:
        return "action_check_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        value = tracker.get_slot("request_reference")
        fact = tracker.get_slot("request_second_fact")
        done: list[EventType] = [SlotSet(slot, None) for slot in STATUS_SLOTS]
        if not value:
            return done
        try:
            found = await get_portal_client().lookup_service_request(
                str(value), client_of(tracker), str(fact) if fact else None
            )
        except NotFound:
            dispatcher.utter_message(response="utter_status_not_found", reference=value)
            return done
        except Throttled as error:
            throttled(error, dispatcher)
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
