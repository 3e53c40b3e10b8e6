"""Slots copied directly instead of through `copy.copy`'s generic path.

Every tracker Rasa builds (about ten per turn: the stored one, copies for the policies and
forms) copies each of the domain's ~60 slots with `copy.copy`, which takes Python's generic
`__reduce_ex__` path. `Slot.__copy__` here makes the same shallow copy directly.
"""

from __future__ import annotations

from typing import Any

from rasa.shared.core.slots import Slot


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


def apply() -> None:
    Slot.__copy__ = copy_slot
