"""Proof of possession of an invoice: its Kassenzeichen and amount, checked at the portal.

The base of the three forms that touch an invoice (pay, ask about it, revoke its mandate), on
the form base of ``actions/forms.py``: values are read in any order, several at once, from
entities and from the text; the whole message only as the answer to the question asked. A miss
is answered without saying which of the two values was wrong, so nobody can probe for valid
Kassenzeichen; after three misses the citizen is sent to a person.
"""

from __future__ import annotations

import logging
import math
import re
from abc import abstractmethod
from decimal import Decimal
from typing import Any, ClassVar

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import iban_vault, signing
from actions.client_identity import client_of
from actions.forms import Field, Form, Turn
from actions.payment import common
from actions.payment.extract import find_amount, find_iban, find_kassenzeichen
from actions.portal_client import (
    Invoice,
    NotFound,
    PortalError,
    Throttled,
    get_portal_client,
)
from rules import amount as amount_validator
from rules import iban as iban_validator
from rules import kassenzeichen as kassenzeichen_validator
from rules.errors import InputError

log = logging.getLogger(__name__)

MAX_LOOKUP_MISSES = 3
_AMOUNT_IN_TEXT = re.compile(
    r"(?:€\s*)?[0-9][0-9.,]*(?:,-)?(?:\s*(?:€|eur\b|euro\b|euros\b))?", re.IGNORECASE
)
# What the citizen consents to; a change after the consent needs a new one.
MANDATE_DATA = (
    "kassenzeichen",
    "invoice_amount",
    "account_holder",
    "iban",
    "email",
    "debtor_bic",
    "debtor_address",
)
# Corrections that invalidate what was built on the value (slot -> slots to clear with it):
# a changed value needs a new consent and a new mandate.
_NEW_MANDATE = ("mandate_consent", "mandate_id")
DEPENDENT_SLOTS: dict[str, tuple[str, ...]] = {
    "kassenzeichen": ("invoice_verified", *_NEW_MANDATE),
    "invoice_amount": ("invoice_verified", *_NEW_MANDATE),
    "account_holder": _NEW_MANDATE,
    "iban": ("iban_token", "iban_country", "debtor_bic", "debtor_address", *_NEW_MANDATE),
    "email": _NEW_MANDATE,
}


def holds_other_values(turn: Turn) -> bool:
    """Whether the message carries another value, so it is not a (mistyped) Kassenzeichen."""
    others = ("amount", "email", "iban", "person_name")
    return any(turn.entity(name) for name in others) or find_iban(turn.text) is not None


def kassenzeichen_text(text: str, turn: Turn) -> str | None:
    return None if holds_other_values(turn) else text


def amount_text(text: str, turn: Turn) -> str | None:
    """One number in the sentence ("es sind 48 Euro") is the amount; else the parser decides."""
    together = find_amount(text)
    if together is not None:
        return together
    kassenzeichen = find_kassenzeichen(text)
    if kassenzeichen:
        text = text.replace(kassenzeichen, " ")
    found = [match.group(0) for match in _AMOUNT_IN_TEXT.finditer(text)]
    if len(found) == 1:
        return found[0]
    return text.strip() or None


async def kassenzeichen(value: str, turn: Turn) -> str:
    return kassenzeichen_validator.format(kassenzeichen_validator.validate(value))


async def invoice_amount(value: str, turn: Turn) -> str:
    return amount_validator.to_api(amount_validator.validate(value))


class InvoiceForm(Form):
    """Kassenzeichen and amount plus the lookup; a subclass adds its fields after these."""

    fields: ClassVar[tuple[Field, ...]] = (
        Field(
            "kassenzeichen",
            kassenzeichen,
            "kassenzeichen",
            find_kassenzeichen,
            kassenzeichen_text,
            anytime=True,
        ),
        Field(
            "invoice_amount",
            invoice_amount,
            "amount",
            find_amount,
            amount_text,
            anytime=True,
        ),
    )
    state_slots = common.ALL_SLOTS
    free_text_intents = common.FREE_TEXT_INTENTS
    # The login's choice and end are handled by the flows themselves, never read as a value.
    ignored_intents = frozenset({"cancel", *signing.SIGNING_INTENTS})
    correction_words = "invoice_correction"
    # A miss counts on its own (three send to a person): no summary beside it.
    no_summary_after = frozenset({"utter_invoice_not_found", "utter_invoice_not_found_human"})

    @abstractmethod
    async def on_invoice(self, invoice: Invoice, turn: Turn) -> dict[str, Any]:
        """What the flow does with a found invoice; returns slot values."""

    def required(self, turn: Turn) -> list[str]:
        # An empty list ends the form: the flow was stopped (portal down, paid invoice, …).
        return [] if turn.slot("payment_stop") else super().required(turn)

    def dependents(self, slot: str) -> tuple[str, ...]:
        return DEPENDENT_SLOTS.get(slot, ())

    def stop(self, turn: Turn) -> dict[str, Any]:
        super().stop(turn)
        return common.stop("stuck")

    def answer(self, turn: Turn) -> str | None:
        return common.clear_answer(turn.tracker)

    def free_text(self, turn: Turn, item: Field) -> str | None:
        if item.slot != "iban" and find_iban(turn.text) is not None:
            return None  # an IBAN is read into the IBAN's slot only, never into another
        return super().free_text(turn, item) or None

    async def refused(self, item: Field, error: InputError, turn: Turn) -> dict[str, Any]:
        values = _details(error) if isinstance(error, iban_validator.IbanError) else {}
        return record_failure(item.slot, error.code, turn, **values)

    async def accepted(self, item: Field, values: dict[str, Any], turn: Turn) -> dict[str, Any]:
        if values.get(item.slot) is None:
            return values
        return {**values, **common.clear_failures(item.slot, turn.tracker)}

    async def after(self, turn: Turn) -> dict[str, Any]:
        # A handle this run no longer holds (a corrected or replaced IBAN, or one an earlier run
        # left when it ended without its end action): delete its IBAN, so it opens nothing.
        dropped = turn.before.get("iban_token")
        if dropped and turn.tracker.get_slot("iban_token") != dropped:
            await iban_vault.discard(dropped)
        return await self.check_invoice(turn)

    async def check_invoice(self, turn: Turn) -> dict[str, Any]:
        """Look the invoice up once both values are there and that pair was not checked yet."""
        kassenzeichen = turn.slot("kassenzeichen")
        amount = turn.slot("invoice_amount")
        if not kassenzeichen or not amount or turn.slot("payment_stop"):
            return {}
        pair = f"{kassenzeichen}|{amount}"
        if turn.slot("invoice_verified") == pair:
            return {}
        try:
            invoice = await get_portal_client().lookup_invoice(
                kassenzeichen, Decimal(amount), client_of(turn.tracker)
            )
        except NotFound:
            return self._missed(turn)
        except Throttled as error:
            return throttled(error, turn.dispatcher)
        except PortalError as error:
            return unavailable(error, turn.dispatcher, turn.tracker)
        turn.say(
            "utter_invoice_found",
            purpose=invoice.purpose,
            amount=common.format_amount(invoice.amount, turn.language),
            due_date=common.format_date(invoice.due_date, turn.language),
            kassenzeichen=invoice.kassenzeichen,
        )
        found = {
            "invoice_verified": pair,
            "invoice_purpose": invoice.purpose,
            "invoice_due_date": invoice.due_date.isoformat(),
            "invoice_lookup_misses": None,
        }
        turn.tracker.slots.update(found)
        return {**found, **await self.on_invoice(invoice, turn)}

    def _missed(self, turn: Turn) -> dict[str, Any]:
        misses = int(turn.slot("invoice_lookup_misses") or 0) + 1
        cleared = {"kassenzeichen": None, "invoice_amount": None, "invoice_verified": None}
        if misses >= MAX_LOOKUP_MISSES:
            turn.say("utter_invoice_not_found_human", **common.contact(turn.tracker))
            return {**cleared, "invoice_lookup_misses": float(misses), **common.stop("not_found")}
        turn.say("utter_invoice_not_found")
        return {**cleared, "invoice_lookup_misses": float(misses)}


def record_failure(slot: str, code: str, turn: Turn, **values: Any) -> dict[str, Any]:
    """Say what was wrong; from the second miss on one slot, explain it (the form's summary
    then says what is there and how to stop)."""
    failures = dict(turn.slot("payment_failures") or {})
    failures[slot] = int(failures.get(slot, 0)) + 1
    if failures[slot] >= common.FAILURES_BEFORE_EXPLAINING:
        turn.say(f"utter_explain_{slot}")
    else:
        turn.say(common.failure_response(slot, code), **values)
    return {slot: None, "payment_failures": failures}


def _details(error: iban_validator.IbanError) -> dict[str, Any]:
    return {
        "country": error.country or "",
        "expected_length": error.expected_length or "",
        "actual_length": error.actual_length or "",
    }


def throttled(error: Throttled, dispatcher: CollectingDispatcher) -> dict[str, Any]:
    minutes = max(1, math.ceil((error.retry_after or 15 * 60) / 60))
    # too many misses in this conversation, or for this invoice from anywhere: said apart
    response = (
        "utter_lookup_throttled_client" if error.limit == "client" else ("utter_portal_throttled")
    )
    dispatcher.utter_message(response=response, minutes=minutes)
    return common.stop("throttled")


def unavailable(
    error: PortalError, dispatcher: CollectingDispatcher, tracker: Tracker
) -> dict[str, Any]:
    # The type only: the portal's detail is for operators, never for the citizen.
    log.warning("portal call failed: %s (status %s)", type(error).__name__, error.status)
    dispatcher.utter_message(response="utter_payment_unavailable", **common.contact(tracker))
    return common.stop("unavailable")
