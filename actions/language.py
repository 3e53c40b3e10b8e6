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
    """The language a message asks for, by what is asked; without a name in it, the other one.

    A language named in a clause that says it is not wanted ("my German is not good", "ich
    verstehe kein Englisch", words in ``data/keywords`` ``language_away``) is no request for it.

    >>> requested_language("Can we speak English?", "de")
    'en'
    >>> requested_language("bitte wieder auf deutsch", "en")
    'de'
    >>> requested_language("andere sprache bitte", "de")
    'en'
    >>> requested_language("Sprechen Sie Englisch?", "en")
    'en'
    >>> requested_language("Can we continue in English? My German is not good", "de")
    'en'
    >>> requested_language("My German is not good", "de")
    'en'
    >>> requested_language("Mein Englisch ist schlecht, lieber Deutsch", "en")
    'de'
    """
    names = keywords.patterns("language_names")
    away = keywords.pattern("language_away")
    wanted: list[tuple[int, int, str]] = []  # (clause, position, language) of each name asked for
    unwanted: set[str] = set()
    for position, clause in enumerate(_CLAUSES.split(text)):
        for lang, pattern in names.items():
            for match in pattern.finditer(clause):
                if away.search(clause):
                    unwanted.add(lang)
                else:
                    wanted.append((position, match.start(), lang))
    if wanted:
        # "not in German, in English please": the last language asked for is the one wanted.
        return max(wanted)[2]
    others = [lang for lang in SUPPORTED if lang not in unwanted]
    if unwanted and len(others) == 1:
        return others[0]
    return "en" if current == "de" else "de"


# Clauses: a name and the words saying it is not wanted belong to one of these.
_CLAUSES = re.compile(r"[.?!;,]+|\s(?:but|aber|because|weil|da|denn|and|und)\s", re.IGNORECASE)


class ActionSwitchLanguage(Action):
    """Sets `language`; the rule then utters the confirmation in the new language."""

    def name(self) -> str:
        return "action_switch_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        return [SlotSet("language", requested_language(text, current_language(tracker)))]
