"""Answers to questions asked in the middle of a form, from ``data/form_help.yml``.

"Wo finde ich das Kassenzeichen?" at the amount, "Was kostet das?" at the street: the form
answers with the topic of its own that the message names (its ``words``), or, for a bare
"what does that mean?" (intent ``explain``), the topic of the pending question; then it asks
that question again. Fees and documents come from the service's entry in
``data/catalogue/services.yml``, so a fact lives in one place.

>>> answer("payment_form", "invoice_amount", "Wo finde ich das Kassenzeichen?", "faq", "de", {})
'Das Kassenzeichen steht oben auf Ihrem Bescheid der Stadt: ...'
>>> answer("bulky_waste_form", "waste_address", "was kostet das?", "faq", "en", {})[:28]
'covered by the waste fees (d'
>>> answer("payment_form", "email", "ok", "explain", "de", {})[:30]
'An diese Adresse schicke ich d'
>>> answer("payment_form", "email", "Erika Mustermann", "inform", "de", {}) is None
True
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.city import data_dir, load_city
from actions.contact import contact_details
from actions.language import current_language
from actions.services.catalogue import load_catalogue
from actions.services.text import fold

# A message asks something when it has a question mark or starts with a question word.
_QUESTION = re.compile(
    r"\?|^(?:wo|was|wie|wann|warum|wieso|weshalb|wozu|welche\w*|kann|muss|darf|ist|sind|gibt|"
    r"where|what|how|when|why|which|can|do|does|is|are|will|should|must)\b",
    re.IGNORECASE,
)


@lru_cache(maxsize=1)
def _help() -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load((data_dir() / "form_help.yml").read_text(encoding="utf-8"))
    return raw


@lru_cache(maxsize=256)
def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{word})" for word in words))


def is_question(text: str) -> bool:
    return bool(_QUESTION.search(text.strip()))


def topic(form: str, slot: str | None, text: str, intent: str) -> str | None:
    """The topic a message asks about in this form, or None if it asks nothing we know."""
    topics: dict[str, Any] = _help().get("topics") or {}
    mine = {name: t for name, t in topics.items() if form in (t.get("forms") or [])}
    folded = fold(text)
    if intent in ("explain", "question") or is_question(text):
        # The topic whose words cover most of the message; on a tie, the pending question's.
        scores = {
            name: sum(len(m.group(0)) for m in _pattern(tuple(t["words"])).finditer(folded))
            for name, t in mine.items()
            if t.get("words")
        }
        best = max(scores.values(), default=0)
        if best > 0:
            named = [name for name, score in scores.items() if score == best]
            return next((n for n in named if slot in (mine[n].get("slots") or [])), named[0])
    if intent == "explain":
        return next((n for n, t in mine.items() if slot in (t.get("slots") or [])), None)
    return None


def answer(
    form: str, slot: str | None, text: str, intent: str, language: str, slots: dict[str, Any]
) -> str | None:
    """The answer to a question asked inside ``form`` at ``slot``, or None."""
    name = topic(form, slot, text, intent)
    if name is None:
        return None
    entry = (_help().get("topics") or {})[name]
    if "catalogue" in entry:
        service = _service(form, slots)
        if service is None:
            return None
        found = load_catalogue().service(service).text(str(entry["catalogue"]), language)
        return found or None
    texts = entry.get("text") or {}
    template = str(texts.get(language) or texts.get("de") or "").strip()
    if not template:
        return None
    return template.format(**contact_details(load_city(), language))


def _service(form: str, slots: dict[str, Any]) -> str | None:
    """The catalogue entry the form is about (a fixed one, or the one a slot names)."""
    which = (_help().get("services") or {}).get(form)
    if which is None or isinstance(which, str):
        return which
    value = slots.get(str(which.get("slot")))
    catalogue = load_catalogue()
    if value:
        entry = catalogue.by_field(str(which.get("field")), str(value))
        if entry is not None:
            return entry.key
    default = which.get("default")
    return None if default is None else str(default)


class ActionExplain(Action):
    """``explain`` the form could not answer, or outside any form: what data/form_help.yml
    knows about the words of the question, else how to stop or reach a person (in a form) or
    the list of topics (outside)."""

    def name(self) -> str:
        return "action_explain"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = current_language(tracker)
        text = str(tracker.latest_message.get("text") or "")
        form = (tracker.active_loop or {}).get("name")
        forms = [form] if form else _all_forms()
        for name in forms:
            reply = answer(str(name), None, text, "question", language, dict(tracker.slots))
            if reply:
                dispatcher.utter_message(text=reply)
                return []
        if form:
            contact = contact_details(load_city(), language)
            dispatcher.utter_message(response="utter_explain_nothing", **contact)
        else:
            dispatcher.utter_message(response="utter_help")
        return []


def _all_forms() -> list[str]:
    topics: dict[str, Any] = _help().get("topics") or {}
    return list(dict.fromkeys(f for t in topics.values() for f in t.get("forms") or []))
