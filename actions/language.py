"""The conversation's language (slot `language`: `de` | `en`), and switching it."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import keywords

DEFAULT_LANGUAGE = "de"
SUPPORTED = ("de", "en")


def current_language(tracker: Tracker) -> str:
    value = tracker.get_slot("language")
    return value if value in SUPPORTED else DEFAULT_LANGUAGE


def requested_language(text: str, current: str) -> str:
    """The language a message asks for; without a name in it, the other one.

    >>> requested_language("Can we speak English?", "de")
    'en'
    >>> requested_language("bitte wieder auf deutsch", "en")
    'de'
    >>> requested_language("andere sprache bitte", "de")
    'en'
    >>> requested_language("Sprechen Sie Englisch?", "en")
    'en'
    """
    # Words that name a language ("english please", "auf deutsch"), from data/keywords.
    names = keywords.patterns("language_names")
    named = [lang for lang, pattern in names.items() if pattern.search(text)]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        # "not in German, in English please": the last language named is the one wanted.
        return max(named, key=lambda lang: _last_position(names[lang], text))
    return "en" if current == "de" else "de"


def _last_position(pattern: re.Pattern[str], text: str) -> int:
    return max(match.start() for match in pattern.finditer(text))


class ActionSwitchLanguage(Action):
    """Sets `language`; the rule then utters the confirmation in the new language."""

    def name(self) -> str:
        return "action_switch_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        return [SlotSet("language", requested_language(text, current_language(tracker)))]
