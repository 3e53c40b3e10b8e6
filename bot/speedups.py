"""Removes per-turn costs of Rasa 3.6 that stood in the way of issue 9's targets.

Each one was found with cProfile on the Rasa server under load (`make bench`); each keeps
Rasa's behaviour and only skips repeated work. The Rasa server is the busiest process (about
27 ms of CPU per turn before the last two), so its CPU per turn sets the throughput.

1. Rasa checks every action server response with `jsonschema.validate(response, schema)`. That
function first validates the *schema itself* against the JSON Schema metaschema, on every
call, although Rasa's response schema is a constant. Profiled on the 2-core development
machine, that self-check cost 20–60 ms per custom action call, most of a form turn (a form
turn calls the action server once or twice). Here the validator is built once; each response
is still validated against the same schema and a bad one raises the same `ValidationError`
with Rasa's own message.

2. Every tracker Rasa builds (about ten per turn: the stored one, copies for the policies and
forms) copies each of the domain's ~60 slots with `copy.copy`, which takes Python's generic
`__reduce_ex__` path. `Slot.__copy__` here makes the same shallow copy directly.

3. Each event read from the tracker store or returned by the action server is matched to its
class by walking all subclasses of `Event` (and testing each for abstractness). Here a found
class is remembered by its type name; names Rasa does not know still get Rasa's own answer.

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
from rasa.shared.core.events import Event
from rasa.shared.core.slots import Slot
from rasa.shared.utils.common import all_subclasses

_rasa_resolve_event = Event.resolve_by_type
_event_classes: dict[str, type[Any]] = {}


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


def copy_slot(slot: Any) -> Any:
    """What `copy.copy` makes of a slot (none defines `__slots__` or `__reduce__`), directly.

    >>> from rasa.shared.core.slots import TextSlot
    >>> original = TextSlot("email", mappings=[], initial_value="a@example.de")
    >>> clone = copy_slot(original)
    >>> (type(clone), clone.value, clone is original, clone.__dict__ == original.__dict__)
    (<class 'rasa.shared.core.slots.TextSlot'>, 'a@example.de', False, True)
    >>> clone.value = "b@example.de"; original.value
    'a@example.de'
    """
    clone = slot.__class__.__new__(slot.__class__)
    clone.__dict__.update(slot.__dict__)
    return clone


def resolve_event_class(type_name: str, default: type[Any] | None = None) -> type[Any] | None:
    """`Event.resolve_by_type`, remembering the classes it found.

    >>> resolve_event_class("slot").__name__
    'SlotSet'
    >>> resolve_event_class("no_such_event", default=Event) is Event
    True
    """
    found = _event_classes.get(type_name)
    if found is not None:
        return found
    for cls in all_subclasses(Event):
        if cls.type_name == type_name:
            _event_classes[type_name] = cls
            return _event_classes[type_name]
    result: type[Any] | None = _rasa_resolve_event(type_name, default)
    return result


def apply() -> None:
    RemoteAction._validate_action_result = validate_action_result
    Slot.__copy__ = copy_slot
    Event.resolve_by_type = staticmethod(resolve_event_class)
