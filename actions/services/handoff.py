"""``human_handoff``: within service hours a call-back request filed in the portal (with the
conversation id, so staff can read the history) and the conversation paused for staff to take
over; outside them the next opening time and the 115 number.

Service hours are in ``data/catalogue/handoff.yml``. The time comes from the system's one
clock (``clock.py``), so a test can run either branch on any day and hour, also in the whole
system where this runs in the action server's own process (``BUERGERBOT_CLOCK_FILE``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

import clock
from actions.city import data_dir, load_city
from actions.language import current_language
from actions.portal_client import PortalError, get_portal_client
from actions.services import checks
from actions.services.form_base import Field, ServiceForm, Turn

CALLBACK_SLOTS = ("callback_name", "callback_contact", "callback_topic")
_WEEKDAYS = {
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


@dataclass(frozen=True)
class ServiceHours:
    zone: ZoneInfo
    hours: dict[int, tuple[time, time]]  # weekday 0 = Monday

    def is_open(self, now: datetime) -> bool:
        local = now.astimezone(self.zone)
        span = self.hours.get(local.weekday())
        return span is not None and span[0] <= local.time() < span[1]

    def next_opening(self, now: datetime) -> datetime:
        local = now.astimezone(self.zone)
        for days in range(8):
            day = (local + timedelta(days=days)).date()
            span = self.hours.get(day.weekday())
            if span is None:
                continue
            opening = datetime.combine(day, span[0], tzinfo=self.zone)
            if opening > local:
                return opening
        raise ValueError("no service hours configured")


@lru_cache(maxsize=1)
def load_hours() -> ServiceHours:
    with (data_dir() / "catalogue" / "handoff.yml").open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    hours = {
        int(day) - 1: (time.fromisoformat(span[0]), time.fromisoformat(span[1]))
        for day, span in raw["hours"].items()
    }
    return ServiceHours(ZoneInfo(raw["timezone"]), hours)


def opening_text(moment: datetime, language: str) -> str:
    weekday = _WEEKDAYS[language][moment.weekday()]
    if language == "en":
        return f"{weekday}, {moment:%d %B %Y}, {moment:%H:%M}"
    return f"{weekday}, {moment:%d.%m.%Y}, {moment:%H:%M} Uhr"


def now() -> datetime:
    """The current instant by the shared clock (the real time unless a test set another)."""
    return clock.now()


class ActionHumanHandoff(Action):
    """Decides between a call-back (open) and the next opening time (closed)."""

    def name(self) -> str:
        return "action_human_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        hours, moment, language = load_hours(), now(), current_language(tracker)
        if hours.is_open(moment):
            dispatcher.utter_message(response="utter_handoff_open")
            return [SlotSet("handoff_open", True)]
        city = load_city()
        dispatcher.utter_message(
            response="utter_handoff_closed",
            next_opening=opening_text(hours.next_opening(moment), language),
            phone=city.switchboard_phone,
            service_number=city.service_number,
        )
        return [SlotSet("handoff_open", False)]


async def callback_name(text: str, turn: Turn) -> str:
    return checks.person_name(text)


async def callback_contact(text: str, turn: Turn) -> str:
    return checks.contact(text)


async def callback_topic(text: str, turn: Turn) -> str:
    return checks.short_text(text, 500)


class ValidateHandoffForm(ServiceForm):
    form = "handoff_form"
    fields = (
        Field("callback_name", callback_name, "person_name"),
        Field("callback_contact", callback_contact, "email"),
        Field("callback_topic", callback_topic),
    )


class ActionHandoffSubmit(Action):
    """Files the call-back with the conversation id and pauses the conversation for staff."""

    def name(self) -> str:
        return "action_handoff_submit"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        reset: list[EventType] = [SlotSet(slot, None) for slot in CALLBACK_SLOTS]
        if any(tracker.get_slot(slot) is None for slot in CALLBACK_SLOTS):
            return reset
        fields = {
            "name": tracker.get_slot("callback_name"),
            "contact": tracker.get_slot("callback_contact"),
            "topic": tracker.get_slot("callback_topic"),
            "conversation_id": tracker.sender_id[:128],
            "channel": _channel(tracker),
        }
        try:
            created = await get_portal_client().create_service_request("callback", fields)
        except PortalError:
            city = load_city()
            dispatcher.utter_message(
                response="utter_handoff_failed",
                phone=city.switchboard_phone,
                service_number=city.service_number,
            )
            return reset
        dispatcher.utter_message(response="utter_handoff_filed", reference=created.reference)
        return [*reset, SlotSet("last_reference", created.reference), ConversationPaused()]


def _channel(tracker: Tracker) -> str:
    channel = str(tracker.get_latest_input_channel() or "rest")
    return channel if channel.replace("_", "").replace("-", "").isalnum() else "rest"
