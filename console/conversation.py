"""Rasa events of one conversation turned into what a reviewer reads: turns and a summary.

Pure functions over the decoded `data` of the tracker store's `events` rows, so they are tested
without a database.

>>> mask_value("anna@example.org")
'an**************'
>>> mask_value(None) is None
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from console.pseudonym import PLACEHOLDER

FALLBACK_INTENTS = {"nlu_fallback"}
FALLBACK_ACTIONS = {"action_fallback", "action_default_fallback", "action_two_stage_fallback"}
# Above the fallback threshold (config.yml) but unsure: the turns that most need a look.
LOW_CONFIDENCE = 0.7
HANDOFF_INTENT = "human_handoff"
# Slot and entity values are personal unless known to be harmless.
VISIBLE_SLOTS = {
    "language", "requested_slot", "mandate_consent", "certificate_type", "request_filed",
    "last_reference", "feedback_rating", "feedback_comment", "feedback_log",
}  # fmt: skip
# Where the feedback form (actions/services/feedback.py) keeps the citizen's rating.
FEEDBACK_SLOTS = {"feedback", "feedback_rating"}
FEEDBACK_LOG_SLOT = "feedback_log"
VISIBLE_ENTITIES = {"certificate_type", "language"}
SERVICE_REQUEST = re.compile(r"\bSR-\d{4}-\d{6}\b")
POSITIVE = {"up", "positive", "good", "yes", "true", "1", "👍", "thumbs_up", "helpful"}
NEGATIVE = {"down", "negative", "bad", "no", "false", "0", "👎", "thumbs_down", "not_helpful"}


def mask_value(value: Any) -> str | None:
    """Keeps two characters so a reviewer can tell values apart, hides the rest."""
    if value is None:
        return None
    text = str(value)
    return text[:2] + "*" * max(len(text) - 2, 0)


def shown_value(value: Any, visible: bool, clear: bool = False) -> str | None:
    """A slot's or entity's value as the page shows it: in clear when harmless or revealed,
    as its placeholder when pseudonymised, else masked."""
    if value is None:
        return None
    if clear or visible or isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and PLACEHOLDER.fullmatch(value):
        return value
    return mask_value(value)


def shown_slot(name: str, value: Any, clear: bool = False) -> str | None:
    return shown_value(value, name in VISIBLE_SLOTS, clear)


@dataclass
class Turn:
    """One line of the conversation view."""

    kind: str  # user | bot | action | slot | event
    timestamp: float
    text: str = ""
    intent: str | None = None
    confidence: float | None = None
    entities: list[tuple[str, str | None]] = field(default_factory=list)
    fallback: bool = False
    low_confidence: bool = False


@dataclass
class Summary:
    sender_id: str
    first: float = 0.0
    last: float = 0.0
    channel: str | None = None
    language: str = "de"
    intents: set[str] = field(default_factory=set)
    user_turns: int = 0
    fallback: bool = False
    low_confidence: bool = False
    handoff: bool = False
    paused: bool = False
    feedback: str | None = None  # positive | negative
    payment_completed: bool = False
    service_requests: set[str] = field(default_factory=set)
    texts: list[str] = field(default_factory=list)
    first_message: str = ""
    handle: str = ""  # the conversation's pseudonym (console/pseudonym.py)

    def matches_text(self, query: str) -> bool:
        """Search over what the list shows: the pseudonymised texts and the pseudonym."""
        needle = query.casefold()
        return needle in self.handle.casefold() or any(
            needle in text.casefold() for text in self.texts
        )


def _feedback_of(value: Any) -> str | None:
    word = str(value).strip().casefold()
    if word in POSITIVE:
        return "positive"
    if word in NEGATIVE:
        return "negative"
    return None


def _user_turn(data: dict[str, Any], timestamp: float, clear: bool = False) -> Turn:
    parse = data.get("parse_data") or {}
    intent = parse.get("intent") or {}
    name = intent.get("name")
    confidence = intent.get("confidence")
    entities = [
        (
            str(item.get("entity")),
            shown_value(item.get("value"), item.get("entity") in VISIBLE_ENTITIES, clear),
        )
        for item in parse.get("entities") or []
        if isinstance(item, dict)
    ]
    is_fallback = name in FALLBACK_INTENTS
    low = isinstance(confidence, (int, float)) and not is_fallback and confidence < LOW_CONFIDENCE
    return Turn(
        "user", timestamp, str(data.get("text") or ""), name, confidence, entities, is_fallback, low
    )


def turns(events: Iterable[dict[str, Any]], clear: bool = False) -> list[Turn]:
    """The events a reviewer reads, in order; bookkeeping (listen, featurization) left out.
    `clear`: an admin's reveal, slot and entity values unmasked."""
    result = []
    for data in events:
        kind, timestamp = data.get("event"), float(data.get("timestamp") or 0.0)
        if kind == "user":
            result.append(_user_turn(data, timestamp, clear))
        elif kind == "bot":
            result.append(Turn("bot", timestamp, str(data.get("text") or "")))
        elif kind == "action" and data.get("name") != "action_listen":
            name = str(data.get("name"))
            confidence = data.get("confidence")
            result.append(
                Turn(
                    "action",
                    timestamp,
                    name,
                    confidence=confidence,
                    fallback=name in FALLBACK_ACTIONS,
                )
            )
        elif kind == "slot":
            value = shown_slot(str(data.get("name")), data.get("value"), clear)
            result.append(Turn("slot", timestamp, f"{data.get('name')} = {value}"))
        elif kind in ("pause", "resume", "session_started", "restart"):
            result.append(Turn("event", timestamp, str(kind)))
    return result


def _add_user(summary: Summary, data: dict[str, Any]) -> None:
    turn = _user_turn(data, 0.0)
    summary.user_turns += 1
    summary.texts.append(turn.text)
    summary.first_message = summary.first_message or turn.text
    summary.channel = summary.channel or data.get("input_channel")
    if turn.intent:
        summary.intents.add(turn.intent)
        summary.feedback = (
            _feedback_of(turn.intent.rsplit("_", 1)[-1])
            if "feedback" in turn.intent
            else summary.feedback
        )
    summary.fallback |= turn.fallback
    summary.low_confidence |= turn.low_confidence
    summary.handoff |= turn.intent == HANDOFF_INTENT


def _add_slot(summary: Summary, name: str, value: Any) -> None:
    if name == "language" and value in ("de", "en"):
        summary.language = str(value)
    elif name in FEEDBACK_SLOTS and value is not None:
        summary.feedback = _feedback_of(value) or summary.feedback
    elif name == FEEDBACK_LOG_SLOT and isinstance(value, list) and value:
        latest = value[-1]
        if isinstance(latest, dict):
            summary.feedback = _feedback_of(latest.get("rating")) or summary.feedback
    elif name == "mandate_reference" and value:
        summary.payment_completed = True
    if isinstance(value, str):
        summary.service_requests.update(SERVICE_REQUEST.findall(value))


def summarize(sender_id: str, events: Iterable[dict[str, Any]]) -> Summary:
    summary = Summary(sender_id)
    for data in events:
        kind, timestamp = data.get("event"), float(data.get("timestamp") or 0.0)
        summary.first = summary.first or timestamp
        summary.last = max(summary.last, timestamp)
        if kind == "user":
            _add_user(summary, data)
        elif kind == "bot":
            text = str(data.get("text") or "")
            summary.texts.append(text)
            summary.service_requests.update(SERVICE_REQUEST.findall(text))
        elif kind == "action" and data.get("name") in FALLBACK_ACTIONS:
            summary.fallback = True
        elif kind == "slot":
            _add_slot(summary, str(data.get("name")), data.get("value"))
        elif kind in ("pause", "resume"):
            summary.paused = kind == "pause"
            summary.handoff |= kind == "pause"
    return summary
