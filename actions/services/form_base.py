"""The base of the service forms: one requested slot at a time, checked, corrected, re-asked.

Each form lists its fields (slot, check, optional entity, words that name it for corrections).
The validation action reads the answer to the requested slot, checks it and says precisely what
was wrong, then names the next empty slot itself (``requested_slot``), so Rasa asks it. "Die
Adresse ist falsch" / "change the address" at any step clears that slot and asks it again.
Messages that are no answer (help, a person, another language) are left to their own rules:
the action sets nothing, Rasa rejects the form for that turn and comes back to it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.language import current_language
from actions.services.text import contains_words
from rules.errors import InputError

TIMEZONE = ZoneInfo("Europe/Berlin")
# Intents whose message is never read as a form value: they have rules of their own.
CONTROL_INTENTS = frozenset(
    {"cancel", "help", "human_handoff", "change_language", "bot_challenge", "goodbye", "greet"}
)
CONFIRM_INTENTS = ("affirm", "deny")
_CORRECTION = re.compile(
    r"\b(falsch|ändern|aendern|korrigier\w*|berichtig\w*|anders|wrong|change|correct\w*|fix)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Turn:
    """What a check may use besides the text: language, today, the tracker."""

    tracker: Tracker
    language: str
    today: date

    def slot(self, name: str) -> Any:
        return self.tracker.get_slot(name)


Check = Callable[[str, Turn], Awaitable[Any]]


@dataclass(frozen=True)
class Field:
    slot: str
    check: Check
    entity: str | None = None
    words: tuple[str, ...] = field(default=())  # words that name the field in a correction
    confirm: bool = False  # a yes/no question (affirm/deny)


def today() -> date:
    return datetime.now(TIMEZONE).date()


def latest_intent(tracker: Tracker) -> str:
    return str((tracker.latest_message.get("intent") or {}).get("name") or "")


def latest_text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "").strip()


def fail_response(slot: str, code: str, domain: dict[str, Any]) -> str:
    specific = f"utter_invalid_{slot}_{code}"
    return specific if specific in (domain.get("responses") or {}) else f"utter_invalid_{slot}"


class ServiceForm(Action):
    """Validation action of one service form; subclasses set ``form`` and ``fields``."""

    form: str = ""
    fields: tuple[Field, ...] = ()

    def name(self) -> str:
        return f"validate_{self.form}"

    def required(self, turn: Turn) -> list[Field]:
        """The fields still to ask, in order; a subclass may skip some."""
        return list(self.fields)

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        turn = Turn(tracker, current_language(tracker), today())
        values: dict[str, Any] = {}
        if (tracker.active_loop or {}).get("name") != self.form:
            values = {f.slot: None for f in self.fields if tracker.get_slot(f.slot) is not None}
            tracker.slots.update(values)
            values.update(await self._prefill(dispatcher, turn, domain))
        else:
            values = await self._answer(dispatcher, turn, domain)
            if not values:
                return []  # not an answer: let the intent's own rule respond
        tracker.slots.update(values)
        following = next(
            (f.slot for f in self.required(turn) if tracker.get_slot(f.slot) is None), None
        )
        return [*(SlotSet(k, v) for k, v in values.items()), SlotSet("requested_slot", following)]

    async def _prefill(
        self, dispatcher: CollectingDispatcher, turn: Turn, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """Values named in the message that started the form ("eine Geburtsurkunde bestellen")."""
        values: dict[str, Any] = {}
        for item in self.fields:
            entity = item.entity and next(turn.tracker.get_latest_entity_values(item.entity), None)
            if entity:
                values.update(await self._checked(item, str(entity), dispatcher, turn, domain))
        return values

    async def _answer(
        self, dispatcher: CollectingDispatcher, turn: Turn, domain: dict[str, Any]
    ) -> dict[str, Any]:
        tracker = turn.tracker
        text, intent = latest_text(tracker), latest_intent(tracker)
        requested = tracker.get_slot("requested_slot")
        target = self._correction(text)
        if target is not None and not (target.slot == requested and not target.confirm):
            cleared = {target.slot: None, **self._confirmations()}
            dispatcher.utter_message(response="utter_service_correction")
            return cleared
        item = next((f for f in self.fields if f.slot == requested), None)
        if item is None or intent in CONTROL_INTENTS:
            return {}
        if item.confirm:
            return await self._confirmation(item, intent, dispatcher)
        entity = item.entity and next(tracker.get_latest_entity_values(item.entity), None)
        return await self._checked(item, str(entity or text), dispatcher, turn, domain)

    async def _confirmation(
        self, item: Field, intent: str, dispatcher: CollectingDispatcher
    ) -> dict[str, Any]:
        if intent == "affirm":
            return {item.slot: True}
        if intent == "deny":
            dispatcher.utter_message(response="utter_service_what_to_change")
            return {item.slot: None}
        return {}

    def _confirmations(self) -> dict[str, Any]:
        return {f.slot: None for f in self.fields if f.confirm}

    def _correction(self, text: str) -> Field | None:
        if not _CORRECTION.search(text):
            return None
        return next(
            (f for f in self.fields if any(contains_words(text, word) for word in f.words)), None
        )

    async def _checked(
        self,
        item: Field,
        text: str,
        dispatcher: CollectingDispatcher,
        turn: Turn,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        try:
            value = await item.check(text, turn)
        except InputError as error:
            dispatcher.utter_message(response=fail_response(item.slot, error.code, domain))
            return {item.slot: None}
        return {item.slot: value}
