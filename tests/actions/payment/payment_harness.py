"""Drives a form validation action turn by turn the way Rasa's FormAction does.

Per user message: the validation action runs on a tracker ending in the form's action; its
slot events are applied; then, unless it ended the form, the next empty required slot is asked
(``utter_ask_<slot>`` or ``action_ask_<slot>``). When the form ends, the rule's follow-up action
runs. Every slot event is kept, so tests can scan them for the clear IBAN.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.payment.consent import ActionAskMandateConsent, ActionAskSignatureCode
from actions.portal_client import PortalClient, set_portal_client
from actions.signing import ActionAskOnlineIdLogin

DOMAIN_FOLDER = Path(__file__).resolve().parents[3] / "bot" / "domain"
DOMAIN_FILE = DOMAIN_FOLDER / "payment.yml"
ASK_ACTIONS: dict[str, Action] = {
    "mandate_consent": ActionAskMandateConsent(),
    "signature_code": ActionAskSignatureCode(),
    "online_id_login": ActionAskOnlineIdLogin(),
}


@functools.cache
def parsed_yaml(path: Path) -> Any:
    """A domain file as parsed once per process: PyYAML's pure-Python parser took seconds for
    the thousands of conversations the form tests start. Callers get their own copy."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_domain() -> dict[str, Any]:
    domain: dict[str, Any] = copy.deepcopy(parsed_yaml(DOMAIN_FILE))
    signing = copy.deepcopy(parsed_yaml(DOMAIN_FOLDER / "signing.yml"))
    domain["slots"].update(signing["slots"])
    domain["responses"].update(signing["responses"])
    domain["slots"]["language"] = {"type": "categorical", "mappings": [{"type": "custom"}]}
    return domain


class Conversation:
    def __init__(
        self,
        form: Action,
        done: Action,
        *,
        language: str = "de",
        channel: str = "rest",
        domain: dict[str, Any] | None = None,
    ) -> None:
        self.form = form
        self.done = done
        self.domain = load_domain() if domain is None else domain
        self.form_name = form.name().replace("validate_", "", 1)
        self.slots: dict[str, Any] = dict.fromkeys(self.domain["slots"])
        self.slots["language"] = language
        self.channel = channel
        self.events: list[dict[str, Any]] = [
            {"event": "active_loop", "name": self.form_name, "timestamp": time.time()}
        ]
        self.slot_events: list[dict[str, Any]] = []
        self.turn_events: list[dict[str, Any]] = []  # this turn's slot events, after its message
        self.active = True
        self.bot: list[dict[str, Any]] = []  # every message the citizen saw, in order
        self.user_messages = 0
        # True for the first turn when the form is started by it (Rasa's tracker then has no
        # active loop yet).
        self.activating = False
        # A real portal needs a client per event loop (each turn runs in its own loop here).
        self.client_factory: Callable[[], PortalClient] | None = None
        self.confidence = 1.0  # the NLU's confidence in the next message's intent

    @property
    def required(self) -> list[str]:
        return list(self.domain["forms"][self.form_name]["required_slots"])

    def tracker(self, text: str, intent: str, entities: list[dict[str, Any]]) -> Tracker:
        latest = {
            "text": text,
            "intent": {"name": intent, "confidence": self.confidence},
            "entities": entities,
        }
        user = {"event": "user", "text": text, "parse_data": latest, "input_channel": self.channel}
        events = [
            *self.events,
            user,
            *self.turn_events,
            {"event": "slot", "name": "requested_slot", "value": self.slots.get("requested_slot")},
            {"event": "action", "name": self.form_name},
        ]
        return Tracker(
            "citizen-1",
            dict(self.slots),
            latest,
            events,
            False,
            None,
            {"name": self.form_name} if self.active and not self.activating else {},
            "action_listen",
        )

    def say(self, text: str, intent: str = "inform", **entities: str) -> list[str]:
        """One user message; returns the names of the responses the citizen got."""
        self.user_messages += 1
        found = [{"entity": name, "value": value} for name, value in entities.items()]
        before = len(self.bot)
        self.events.extend(e for e in self.turn_events if e["name"] != "requested_slot")
        self.turn_events = []
        asyncio.run(self._turn(text, intent, found))
        self.activating = False
        return [str(message.get("response")) for message in self.bot[before:]]

    async def _turn(self, text: str, intent: str, entities: list[dict[str, Any]]) -> None:
        client = self.client_factory() if self.client_factory else None
        if client is not None:
            set_portal_client(client)
        try:
            await self._form_turn(text, intent, entities)
        finally:
            if client is not None:
                await client.aclose()

    async def _form_turn(self, text: str, intent: str, entities: list[dict[str, Any]]) -> None:
        tracker = self.tracker(text, intent, entities)
        self.events.append(tracker.events[-3])
        dispatcher = CollectingDispatcher()
        events = await self.form.run(dispatcher, tracker, self.domain)
        self.bot.extend(dispatcher.messages)
        self._apply(events)
        if not any(e.get("name") == "requested_slot" for e in events if e["event"] == "slot"):
            rejected = not any(e["event"] == "slot" for e in events)
            if rejected:
                self.bot.append({"response": "<rejected>"})
                return
            self._apply([{"event": "slot", "name": "requested_slot", "value": self._next()}])
        await self._ask_or_finish(text, intent, entities)

    def _next(self) -> str | None:
        return next((slot for slot in self.required if self.slots.get(slot) is None), None)

    async def _ask_or_finish(self, text: str, intent: str, entities: list[dict[str, Any]]) -> None:
        slot = self.slots.get("requested_slot")
        if slot is None:
            self.active = False
            await self.run(self.done, text, intent, entities)
            return
        if slot in ASK_ACTIONS:
            await self.run(ASK_ACTIONS[slot], text, intent, entities)
        else:
            self.bot.append({"response": f"utter_ask_{slot}"})

    async def run(
        self, action: Action, text: str = "", intent: str = "inform", entities: Any = ()
    ) -> list[dict[str, Any]]:
        dispatcher = CollectingDispatcher()
        events = await action.run(
            dispatcher, self.tracker(text, intent, list(entities)), self.domain
        )
        self.bot.extend(dispatcher.messages)
        self._apply(events)
        if any(e["event"] == "active_loop" and e.get("name") is None for e in events):
            self.active = False
        return list(events)

    def act(self, action: Action, text: str = "", intent: str = "inform") -> list[str]:
        """Run one action outside the form (as a rule would); returns the response names."""
        before = len(self.bot)
        asyncio.run(self.run(action, text, intent))
        return [str(message.get("response")) for message in self.bot[before:]]

    def _apply(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            if event["event"] == "slot":
                self.slots[event["name"]] = event["value"]
                self.slot_events.append(event)
                self.turn_events.append(event)
                if event["name"] == "requested_slot":  # as in Rasa's tracker: forms count on it
                    self.events.append(event)

    def message(self, response: str) -> dict[str, Any]:
        """The last message sent with this response name (with its template values)."""
        return next(m for m in reversed(self.bot) if m.get("response") == response)
