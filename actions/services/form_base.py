"""How the service forms use the form base (``actions/forms.py``): one question at a time.

A value is read only as the answer to the question asked (entities named in the message that
starts the form fill their slots at once). "Die Adresse ist falsch" / "change the address" at any
step clears that value and the form's confirmation, says so, and asks it again. Messages that are
no answer (help, a person, another language) are left to their own rules.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from actions.forms import TIMEZONE, Field, Form, Turn, fail_response, today

__all__ = ["TIMEZONE", "Field", "ServiceForm", "Turn", "confirmed", "fail_response", "today"]

# Intents whose message is never read as a form value: they have rules of their own.
CONTROL_INTENTS = frozenset(
    {"cancel", "help", "human_handoff", "change_language", "bot_challenge", "goodbye", "greet"}
)


async def confirmed(answer: str, turn: Turn) -> bool | None:
    """The check of a form's closing question: yes sends, no asks what to change."""
    if answer == "affirm":
        return True
    turn.say("utter_service_what_to_change")
    return None


class ServiceForm(Form):
    ignored_intents: ClassVar[frozenset[str]] = CONTROL_INTENTS
    correction_response: ClassVar[str | None] = "utter_service_correction"

    def today(self) -> date:
        return today()  # this module's name, so tests can fix the day

    def dependents(self, slot: str) -> tuple[str, ...]:
        return tuple(item.slot for item in self.fields if item.confirm)
