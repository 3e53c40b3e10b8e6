"""bot.patches.action_response decides as Rasa's own `jsonschema.validate` of action responses."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    AllSlotsReset,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    FollowupAction,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)

from bot.patches.action_response import _fast_valid, validate_action_result

SCHEMA = RemoteAction.action_response_format_spec()

VALID_EVENTS = [
    event.as_dict()
    for event in (
        ActionExecuted("action_listen"),
        ActiveLoop("payment_form"),
        ActiveLoop(None),
        AllSlotsReset(),
        BotUttered("Hallo", {"buttons": [{"title": "Ja", "payload": "/affirm"}]}),
        ConversationPaused(),
        ConversationResumed(),
        FollowupAction("action_listen"),
        Restarted(),
        SessionStarted(),
        SlotSet("email", "a@example.de"),
        SlotSet("waste_items", ["Sofa", "Schrank"]),
        SlotSet("requested_slot", None),
        UserUttered("Hallo", {"name": "greet", "confidence": 0.9}),
    )
]

INVALID_RESPONSES: list[Any] = [
    {"events": [{"event": "slot"}]},  # no name
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"name": "x"}]},  # no type
    {"events": [{"event": ["slot"]}]},  # type not a string
    {"events": [{"event": "slot", "name": "a", "value": 1, "timestamp": "now"}]},
    {"events": ["slot"]},
    {"events": {"event": "slot"}},
    {"events": [], "responses": "Hallo"},
    {"events": [], "responses": ["Hallo"]},
    [],
]


def rasa_decision(result: Any) -> str | None:
    """What Rasa 3.6 itself does: `jsonschema.validate`; the error message or None."""
    try:
        jsonschema.validate(result, SCHEMA)
    except jsonschema.ValidationError as error:
        return str(error.message)
    return None


def ours(result: Any) -> str | None:
    try:
        validate_action_result(None, result)
    except jsonschema.ValidationError as error:
        return str(error.message).split(". Failed to validate Action server response")[0]
    return None


@pytest.mark.parametrize("event", VALID_EVENTS, ids=lambda e: str(e["event"]))
def test_every_valid_event_takes_the_fast_path(event: dict[str, Any]) -> None:
    response = {"events": [event], "responses": [{"text": "Hallo"}]}
    assert rasa_decision(response) is None
    assert _fast_valid(response)
    assert ours(response) is None


def test_a_whole_form_ending_is_valid_both_ways() -> None:
    response = {"events": VALID_EVENTS * 3, "responses": [{"response": "utter_x", "a": "b"}]}
    assert rasa_decision(response) is None and ours(response) is None


@pytest.mark.parametrize("response", INVALID_RESPONSES, ids=repr)
def test_invalid_responses_fail_with_rasas_message(response: Any) -> None:
    expected = rasa_decision(response)
    assert expected is not None
    assert not _fast_valid(response)
    assert ours(response) == expected
