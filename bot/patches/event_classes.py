"""An event's class remembered by its type name.

Each event read from the tracker store or returned by the action server is matched to its class
by walking all subclasses of `Event` (and testing each for abstractness). Here a found class is
remembered by its type name; names Rasa does not know still get Rasa's own answer.
"""

from __future__ import annotations

from typing import Any

from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

_rasa_resolve_event = Event.resolve_by_type
_event_classes: dict[str, type[Any]] = {}


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
    Event.resolve_by_type = staticmethod(resolve_event_class)
