"""``faq``: answers from the service catalogue, always with the source link.

The answer is built from ``data/catalogue/services.yml`` and the offices of ``data/city.yml``,
so a fee changed in the catalogue changes the answer. What the catalogue does not know is
not guessed: the citizen gets the switchboard and the way to a person.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import keywords
from actions.city import load_city
from actions.contact import contact_details
from actions.language import current_language
from actions.services.catalogue import Entry, Question, load_catalogue

_OFFICE_ASPECTS = {"hours", "location", "contact"}


def office_lines(key: str, language: str) -> list[str]:
    """Name, address, phone, e-mail and hours of an office."""
    labels = keywords.labels(language, "answer")
    office = load_city().office(key)
    hours = load_catalogue().office(key).text("hours", language)
    email = office.text("email", language)
    return [
        f"{labels['office']}: {office.text('name', language)}, {office.text('address', language)}",
        f"{labels['phone']}: {office.text('phone', language)}" + (f", {email}" if email else ""),
        f"{labels['hours']}: {hours}",
    ]


def service_answer(entry: Entry, aspects: tuple[str, ...], language: str) -> list[str]:
    labels = keywords.labels(language, "answer")
    lines = [f"{entry.text('title', language)}: {entry.text('description', language)}"]
    wanted = set(aspects) or {"fee", "documents", "hours"}
    if "fee" in wanted:
        lines.append(f"{labels['fee']}: {entry.text('fee', language)}")
    if "documents" in wanted:
        lines.append(f"{labels['documents']}: {entry.text('documents', language)}")
    if wanted & _OFFICE_ASPECTS:
        lines += office_lines(entry.office, language)
    online = entry.text("online_form", language)
    if online:
        lines.append(f"{labels['online']}: {online}")
    return lines


def answer(question: Question, language: str) -> tuple[list[str], str] | None:
    """The answer's lines and its source link; None when the catalogue does not know."""
    entry = question.entry
    if entry is None:
        if not set(question.aspects) & _OFFICE_ASPECTS:
            return None
        entry = load_catalogue().office("zentrale")
    if entry.kind == "office":
        source = entry.source_url or load_city().office(entry.key).text("url", language)
        return office_lines(entry.key, language), source
    source = entry.source_url or str(load_catalogue().raw.get("default_source", ""))
    return service_answer(entry, question.aspects, language), source


class ActionAnswerFaq(Action):
    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = current_language(tracker)
        text = str(tracker.latest_message.get("text") or "")
        found = answer(load_catalogue().understand(text), language)
        if found is None:
            details = contact_details(load_city(), language)
            dispatcher.utter_message(response="utter_faq_unknown", **details)
            return []
        lines, source = found
        dispatcher.utter_message(
            response="utter_faq_answer", answer="\n".join(lines), source_url=source
        )
        return []
