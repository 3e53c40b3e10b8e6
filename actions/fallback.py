"""The fallback when the NLU is unsure: first the two likeliest intents, then a person.

The financial-demo pattern: a first miss offers the two likeliest intents as buttons, so a
click repairs the misunderstanding; a second miss in a row offers human contact instead of
asking again.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.city import intent_label, load_city
from actions.contact import contact_details
from actions.language import current_language

FALLBACK_INTENT = "nlu_fallback"
# Intents a button would not help with: answers, small talk and "something else".
NOT_SUGGESTED = frozenset(
    {FALLBACK_INTENT, "affirm", "deny", "inform", "greet", "goodbye", "thank", "out_of_scope"}
)
SUGGESTIONS = 2


def consecutive_misses(events: list[dict[str, Any]]) -> int:
    """How many of the latest user messages in a row fell back, counting the current one.

    >>> user = lambda name: {"event": "user", "parse_data": {"intent": {"name": name}}}
    >>> consecutive_misses([user("greet"), user("nlu_fallback")])
    1
    >>> consecutive_misses([user("nlu_fallback"), {"event": "bot"}, user("nlu_fallback")])
    2
    >>> consecutive_misses([user("nlu_fallback"), user("help"), user("nlu_fallback")])
    1
    """
    misses = 0
    for event in reversed(events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent != FALLBACK_INTENT:
            break
        misses += 1
    return misses


def likeliest_intents(ranking: list[dict[str, Any]], count: int = SUGGESTIONS) -> list[str]:
    """The most confident intents worth offering as buttons.

    >>> likeliest_intents([{"name": "nlu_fallback"}, {"name": "faq"}, {"name": "inform"},
    ...                    {"name": "bulky_waste"}, {"name": "help"}])
    ['faq', 'bulky_waste']
    """
    names = [str(item.get("name")) for item in ranking]
    return [name for name in names if name not in NOT_SUGGESTED][:count]


class ActionFallback(Action):
    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = current_language(tracker)
        if consecutive_misses(tracker.events) >= 2:
            details = contact_details(load_city(), language)
            dispatcher.utter_message(response="utter_fallback_human", **details)
            return []
        ranking = tracker.latest_message.get("intent_ranking") or []
        buttons = [
            {"title": intent_label(intent, language), "payload": f"/{intent}"}
            for intent in likeliest_intents(ranking)
        ]
        dispatcher.utter_message(response="utter_fallback_suggest", buttons=buttons)
        return []
