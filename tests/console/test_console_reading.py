"""Conversation view and summary, filters, exports: Rasa's own events in, what staff see out."""

from __future__ import annotations

from typing import Any

import yaml

from console import conversation, export
from console.filters import Filters, matches
from tests.e2e.console.console_harness import action, bot, paused, slot, user

T = 1_780_000_000.0  # 2026-05-28


def dicts(*events: Any) -> list[dict[str, Any]]:
    return [event.as_dict() for event in events]


IBAN_ENTITY = {"entity": "iban", "value": "DE89 **** **** **** **30 00", "start": 9, "end": 36}
PAYMENT = dicts(
    action("action_session_start", T),
    user("hallo", "greet", 0.99, T + 1, channel="socketio"),
    bot("Guten Tag!", T + 2),
    user("IBAN ist DE89 **** **** **** **30 00", "inform", 0.62, T + 3, entities=[IBAN_ENTITY]),
    slot("email", "erika@example.org", T + 4),
    slot("language", "en", T + 5),
    slot("mandate_reference", "4100202600010001", T + 6),
    user("asdfgh", "nlu_fallback", 0.2, T + 7),
    action("action_fallback", T + 8),
    bot("Your request SR-2026-000123 is filed.", T + 9),
    slot("feedback_rating", "down", T + 10),
    slot("feedback_comment", "yes", T + 10.5),
    slot("feedback_rating", None, T + 10.6),
    user("ich will einen menschen", "human_handoff", 0.95, T + 11),
    paused(T + 12),
)


def test_turns_show_intents_confidence_masked_entities_and_fallbacks() -> None:
    turns = conversation.turns(PAYMENT)
    users = [t for t in turns if t.kind == "user"]
    assert [(t.intent, t.confidence) for t in users][:2] == [("greet", 0.99), ("inform", 0.62)]
    assert users[1].low_confidence and not users[0].low_confidence
    assert users[1].entities == [("iban", "DE*************************")]
    assert users[2].fallback and not users[2].low_confidence
    assert any(t.kind == "action" and t.fallback for t in turns)
    slots = [t.text for t in turns if t.kind == "slot"]
    assert "email = er***************" in slots and "language = en" in slots
    assert not any("erika" in t.text for t in turns)
    assert [t.text for t in turns if t.kind == "event"] == ["pause"]


def test_summary_flags() -> None:
    s = conversation.summarize("c1", PAYMENT)
    assert (s.first, s.last) == (T, T + 12)
    assert s.channel == "socketio" and s.language == "en"
    assert s.intents == {"greet", "inform", "nlu_fallback", "human_handoff"}
    assert s.fallback and s.low_confidence and s.handoff and s.paused
    assert s.feedback == "negative" and s.payment_completed
    assert s.service_requests == {"SR-2026-000123"}
    assert s.matches_text("SR-2026") and s.matches_text("HALLO") and not s.matches_text("müll")


def test_feedback_from_the_log_of_the_feedback_form() -> None:
    log = [{"rating": "down", "comment": "-"}, {"rating": "up", "comment": "schnell"}]
    s = conversation.summarize("c3", dicts(slot("feedback_log", log, T)))
    assert s.feedback == "positive"
    turns = conversation.turns(dicts(slot("feedback_log", log, T)))
    assert "schnell" in turns[0].text  # the comment is for the reviewers, shown as it is


def test_a_plain_conversation_has_no_flags() -> None:
    s = conversation.summarize("c2", dicts(user("Öffnungszeiten?", "faq", 0.97, T)))
    assert not (s.fallback or s.low_confidence or s.handoff or s.paused or s.payment_completed)
    assert s.feedback is None and s.language == "de" and s.matches_text("öffnungszeiten")


def test_filters() -> None:
    s = conversation.summarize("c1", PAYMENT)
    assert matches(Filters.from_args({"q": ["guten tag"]}), s, "new", set())
    assert not matches(Filters.from_args({"q": ["nirgends"]}), s, "new", set())
    assert matches(
        Filters.from_args({"channel": ["socketio"], "language": ["en"]}), s, "new", set()
    )
    assert not matches(Filters.from_args({"language": ["de"]}), s, "new", set())
    assert matches(Filters.from_args({"feedback": ["negative"]}), s, "new", set())
    assert not matches(Filters.from_args({"feedback": ["positive"]}), s, "new", set())
    assert matches(Filters.from_args({"tag": ["Müll"]}), s, "new", {"müll"})
    assert not matches(Filters.from_args({"status": ["reviewed"]}), s, "new", set())
    f = Filters.from_args({"date_from": ["2026-05-28"], "date_to": ["2026-05-28"]})
    assert f.since is not None and f.until == f.since + 86400
    assert "fallback=1" in Filters.from_args({"fallback": ["1"]}).query(2)


def test_story_export_is_a_rasa_test_story() -> None:
    story = yaml.safe_load(export.test_story("c1", PAYMENT))
    steps = story["stories"][0]["steps"]
    assert story["version"] == "3.1"
    assert steps[0] == {"user": "hallo", "intent": "greet"}
    assert {"action": "action_fallback"} in steps
    assert all(step.get("action") != "action_session_start" for step in steps)


def test_nlu_export_reads_back_with_rasa() -> None:
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    text = export.nlu_examples(PAYMENT + dicts(user("/greet", "greet", 1.0, T + 20)))
    data = RasaYAMLReader().reads(text)
    examples = {(m.get("intent"), m.get("text")) for m in data.intent_examples}
    assert ("greet", "hallo") in examples and (
        "human_handoff",
        "ich will einen menschen",
    ) in examples
    assert ("greet", "/greet") not in examples  # button payloads are not training data
