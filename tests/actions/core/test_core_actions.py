"""Unit tests of the conversation core's custom actions, on rasa-sdk trackers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.city import intent_label, load_city
from actions.fallback import ActionFallback
from actions.language import ActionSwitchLanguage, requested_language
from actions.session import ActionSessionStart, city_slots


def tracker(
    text: str = "",
    intent: str = "greet",
    language: str | None = "de",
    events: list[dict[str, Any]] | None = None,
    ranking: list[dict[str, Any]] | None = None,
) -> Tracker:
    latest = {"text": text, "intent": {"name": intent}, "intent_ranking": ranking or []}
    return Tracker(
        sender_id="test",
        slots={"language": language},
        latest_message=latest,
        events=events or [],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def run(action: Any, track: Tracker) -> tuple[CollectingDispatcher, list[Any]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, track, {}))
    return dispatcher, events


def user(intent: str) -> dict[str, Any]:
    return {"event": "user", "parse_data": {"intent": {"name": intent}}}


@pytest.mark.parametrize(
    ("text", "current", "expected"),
    [
        ("Can we speak English?", "de", "en"),
        ("english please", "de", "en"),
        ("sprichst du englisch", "de", "en"),
        ("auf deutsch bitte", "en", "de"),
        ("German please", "en", "de"),
        ("/change_language", "de", "en"),
        ("/change_language", "en", "de"),
        ("nicht deutsch, englisch bitte", "de", "en"),
    ],
)
def test_requested_language(text: str, current: str, expected: str) -> None:
    assert requested_language(text, current) == expected


def test_switch_language_sets_the_slot() -> None:
    _, events = run(ActionSwitchLanguage(), tracker("Can we speak English?", "change_language"))
    assert events == [SlotSet("language", "en")]


def test_session_start_welcomes_and_keeps_the_language(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBCHAT_PUBLIC_URL", "https://chat.example.org/")
    dispatcher, events = run(ActionSessionStart(), tracker(language="en"))
    facts = [SlotSet(name, value) for name, value in city_slots().items()]
    assert events == [
        SessionStarted(),
        SlotSet("language", "en"),
        *facts,
        ActionExecuted("action_listen"),
    ]
    assert dict(city_slots())["city_name"] == load_city().name
    [message] = dispatcher.messages
    assert message["response"] == "utter_welcome"
    assert message["privacy_url"] == "https://chat.example.org/datenschutz"
    assert message["city_name"] == load_city().name


def test_first_miss_offers_the_two_likeliest_intents_as_buttons() -> None:
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.5},
        {"name": "faq", "confidence": 0.3},
        {"name": "inform", "confidence": 0.2},
        {"name": "bulky_waste", "confidence": 0.1},
        {"name": "help", "confidence": 0.05},
    ]
    track = tracker("sperr", "nlu_fallback", events=[user("nlu_fallback")], ranking=ranking)
    dispatcher, _ = run(ActionFallback(), track)
    [message] = dispatcher.messages
    assert message["response"] == "utter_fallback_suggest"
    assert message["buttons"] == [
        {"title": intent_label("faq", "de"), "payload": "/faq"},
        {"title": intent_label("bulky_waste", "de"), "payload": "/bulky_waste"},
    ]


def test_second_miss_in_a_row_offers_human_contact() -> None:
    events = [user("nlu_fallback"), {"event": "bot"}, user("nlu_fallback")]
    dispatcher, _ = run(ActionFallback(), tracker("??", "nlu_fallback", "en", events=events))
    [message] = dispatcher.messages
    assert message["response"] == "utter_fallback_human"
    city = load_city()
    assert message["phone"] == city.switchboard_phone
    assert message["hours"] == city.contact_hours("en")
    assert message["service_number"] == city.service_number


def test_a_miss_after_an_understood_message_starts_over() -> None:
    events = [user("nlu_fallback"), user("help"), user("nlu_fallback")]
    dispatcher, _ = run(ActionFallback(), tracker("??", "nlu_fallback", events=events))
    assert dispatcher.messages[0]["response"] == "utter_fallback_suggest"
