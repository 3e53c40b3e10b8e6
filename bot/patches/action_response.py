"""Rasa validates every action server response against a constant JSON schema; do it faster.

`RemoteAction._validate_action_result` calls `jsonschema.validate(response, schema)`, which
first validates the *schema itself* against the JSON Schema metaschema, on every call. Profiled
on the 2-core development machine, that self-check cost 20–60 ms per custom action call, most
of a form turn. Here the validator is built once; each response is still validated against the
same schema and a bad one raises the same `ValidationError` with Rasa's own message. The
schema's events are a `oneOf` of 23 event types, so each event was tried against all 23 (8 ms
for the 30 events that end a service form); a valid response is now recognised by checking each
event against its own type only (see `_fast_valid`). tests/bot/patches/test_action_response.py
compares every decision with `jsonschema.validate`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@cache
def _response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    return validator_for(schema)(schema)


@cache
def _event_validators() -> dict[str, Any] | None:
    """One validator per event type: the event item schema with only that type's `oneOf` branch.

    Sound only if every branch names its type as `properties.event.const` and no two share it:
    then an event of type T fails every other branch on that const, so "exactly one branch
    valid" is "the T branch valid". For any other schema shape this returns None.
    """
    schema = RemoteAction.action_response_format_spec()
    item = schema.get("properties", {}).get("events", {}).get("items", {})
    branches = item.get("oneOf")
    if not isinstance(branches, list) or "$ref" in repr(schema):
        return None
    common = {key: value for key, value in item.items() if key != "oneOf"}
    if "event" not in common.get("required", []):
        return None
    validator_class = validator_for(schema)
    by_type: dict[str, Any] = {}
    for branch in branches:
        event_type = branch.get("properties", {}).get("event", {}).get("const")
        if not isinstance(event_type, str) or event_type in by_type:
            return None
        by_type[event_type] = validator_class({**common, "allOf": [branch]})
    return by_type


def _fast_valid(result: Any) -> bool:
    """True only where the full schema says valid; False means "ask the full validator".

    >>> _fast_valid({"events": [{"event": "slot", "name": "a", "value": None}]})
    True
    >>> _fast_valid({"events": [{"event": "slot"}]})  # no name: the full validator decides
    False
    """
    by_type = _event_validators()
    events = result.get("events", []) if isinstance(result, dict) else None
    if by_type is None or not isinstance(events, list):
        return False
    rest = {key: value for key, value in result.items() if key != "events"}
    if not _response_validator().is_valid(rest):  # everything but the events ("events" is
        return False  # not required at the top level)
    for event in events:
        event_type = event.get("event") if isinstance(event, dict) else None
        validator = by_type.get(event_type) if isinstance(event_type, str) else None
        if validator is None or not validator.is_valid(event):
            return False
    return True


def validate_action_result(_action: Any, result: dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result` with the schema compiled once.

    >>> validate_action_result(None, {"events": [], "responses": [{"text": "Hallo"}]})
    True
    >>> from jsonschema import ValidationError
    >>> try:
    ...     validate_action_result(None, {"events": [{"event": "slot"}]})
    ... except ValidationError as error:
    ...     print(error.message.split(". ")[0])
    {'event': 'slot'} is not valid under any of the given schemas
    """
    if _fast_valid(result):
        return True
    error = best_match(_response_validator().iter_errors(result))
    if error is not None:
        # the same wording as rasa/core/actions/action.py
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def apply() -> None:
    RemoteAction._validate_action_result = validate_action_result
