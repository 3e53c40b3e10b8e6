"""Removes a per-turn cost of Rasa 3.6 that stood in the way of issue 9's latency target.

Rasa checks every action server response with `jsonschema.validate(response, schema)`. That
function first validates the *schema itself* against the JSON Schema metaschema, on every
call, although Rasa's response schema is a constant. Profiled on the 2-core development
machine, that self-check cost 20–60 ms per custom action call, most of a form turn (a form
turn calls the action server once or twice). Here the validator is built once; each response
is still validated against the same schema and a bad one raises the same `ValidationError`
with Rasa's own message.

`apply()` is idempotent; `bot.tracker_store` calls it, because Rasa imports that module in every
server process configured with our endpoints (`make run`, the tests, every replica).
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
