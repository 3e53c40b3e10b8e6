"""Proof of possession of an invoice: its Kassenzeichen and amount, checked at the portal.

The base of the three forms that touch an invoice (pay, ask about it, revoke its mandate). A miss
is answered without saying which of the two values was wrong, so nobody can probe for valid
Kassenzeichen; after three misses the citizen is sent to a person.
"""

from __future__ import annotations

import logging
import math
import re
from abc import abstractmethod
from decimal import Decimal
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.payment import common
from actions.payment.extract import correction_target, find_iban, find_kassenzeichen
from actions.portal_client import (
    Invoice,
    NotFound,
    PortalError,
    Throttled,
    get_portal_client,
)
from rules import amount as amount_validator
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


class InvoiceCheckingForm(FormValidationAction):
    """Extraction and validation of ``kassenzeichen`` and ``invoice_amount`` plus the lookup."""

    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    async def on_invoice(
        self, invoice: Invoice, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        """What the flow does with a found invoice; returns slot values."""

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        # An empty list ends the form: the flow was stopped (portal down, paid invoice, …).
        return [] if tracker.get_slot("payment_stop") else list(domain_slots)

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        # rasa-sdk returns only the events of the form's own slots; keep what the extraction
        # set besides (the IBAN's vault token, failure counts), unless validation overrode it.
        fresh = self._fresh_start(tracker)
        before = dict(tracker.slots)
        extracted: list[EventType] = fresh + await self.get_extraction_events(
            dispatcher, tracker, domain
        )
        tracker.add_slots(extracted)
        validated: list[EventType] = await self._extract_validation_events(
            dispatcher, tracker, domain
        )
        names = {event["name"] for event in validated if event.get("event") == "slot"}
        kept = [event for event in extracted if event["name"] not in names]
        events = kept + validated
        if not _consent_outdated(before, tracker.slots):
            return events
        # The citizen consented to other data than now: ask again, and make a new mandate.
        reset = {"mandate_consent": None, "mandate_id": None, "signature_code": None}
        tracker.slots.update(reset)
        events = [event for event in events if event["name"] != "requested_slot"]
        events += [SlotSet(slot, value) for slot, value in reset.items()]
        next_slot = await self.next_requested_slot(dispatcher, tracker, domain)
        return events + ([next_slot] if next_slot else [])

    def _fresh_start(self, tracker: Tracker) -> list[EventType]:
        """At activation, forget what an earlier run of a flow may have left behind."""
        if (tracker.active_loop or {}).get("name") == self.form_name():
            return []
        stale = {slot: None for slot in common.ALL_SLOTS if tracker.get_slot(slot) is not None}
        tracker.slots.update(stale)
        return [SlotSet(slot, None) for slot in stale]

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Corrections ("die IBAN war falsch") clear the slot first, then values are read."""
        cleared = self._correction(tracker, domain)
        tracker.slots.update(cleared)
        extracted: list[EventType] = await super().get_extraction_events(
            dispatcher, tracker, domain
        )
        return [SlotSet(slot, value) for slot, value in cleared.items()] + extracted

    def _correction(self, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if common.latest_intent(tracker) == "cancel":
            return {}
        slot = correction_target(common.latest_text(tracker))
        if slot is None or slot not in self.domain_slots(domain):
            return {}
        return {slot: None, **dict.fromkeys(DEPENDENT_SLOTS.get(slot, ()))}

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events: list[EventType] = await super().get_validation_events(dispatcher, tracker, domain)
        tracker.slots.update({event["name"]: event["value"] for event in events})
        checked = await self.check_invoice(dispatcher, tracker)
        tracker.slots.update(checked)
        return events + [SlotSet(slot, value) for slot, value in checked.items()]

    # Kassenzeichen ------------------------------------------------------------------------

    def _free_text(self, tracker: Tracker, slot: str) -> str | None:
        """The whole message, when it answers the question for ``slot``."""
        if tracker.get_slot("requested_slot") != slot:
            return None
        if common.latest_intent(tracker) not in common.FREE_TEXT_INTENTS:
            return None
        text = common.latest_text(tracker).strip()
        if slot != "iban" and find_iban(text) is not None:
            return None  # an IBAN is read by extract_iban only, never into another slot
        return text or None

    async def extract_kassenzeichen(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if common.latest_intent(tracker) == "cancel":
            return {}
        text = common.latest_text(tracker)
        value = common.entity(tracker, "kassenzeichen") or find_kassenzeichen(text)
        if value is None and not holds_other_values(tracker, text):
            value = self._free_text(tracker, "kassenzeichen")
        return {} if value is None else {"kassenzeichen": value}

    async def validate_kassenzeichen(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {}
        try:
            number = kassenzeichen_validator.validate(str(value))
        except InputError as error:
            return common.record_failure("kassenzeichen", error.code, dispatcher, tracker)
        formatted = kassenzeichen_validator.format(number)
        return {"kassenzeichen": formatted, **common.clear_failures("kassenzeichen", tracker)}

    # Amount -------------------------------------------------------------------------------

    async def extract_invoice_amount(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if common.latest_intent(tracker) == "cancel":
            return {}
        value = common.entity(tracker, "amount")
        if value is None:
            value = self._amount_from_text(tracker)
        return {} if value is None else {"invoice_amount": value}

    def _amount_from_text(self, tracker: Tracker) -> str | None:
        text = self._free_text(tracker, "invoice_amount")
        if text is None or find_iban(text):
            return None
        kassenzeichen = find_kassenzeichen(text)
        if kassenzeichen:
            text = text.replace(kassenzeichen, " ")
        found = [match.group(0) for match in _AMOUNT_IN_TEXT.finditer(text)]
        # One number in the sentence ("es sind 48 Euro") is the amount; else the parser decides.
        if len(found) == 1:
            return found[0]
        return text.strip() or None

    async def validate_invoice_amount(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {}
        try:
            amount = amount_validator.validate(str(value))
        except InputError as error:
            return common.record_failure("invoice_amount", error.code, dispatcher, tracker)
        text = amount_validator.to_api(amount)
        return {"invoice_amount": text, **common.clear_failures("invoice_amount", tracker)}

    # Lookup -------------------------------------------------------------------------------

    async def check_invoice(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        """Look the invoice up once both values are there and that pair was not checked yet."""
        kassenzeichen = tracker.get_slot("kassenzeichen")
        amount = tracker.get_slot("invoice_amount")
        if not kassenzeichen or not amount or tracker.get_slot("payment_stop"):
            return {}
        pair = f"{kassenzeichen}|{amount}"
        if tracker.get_slot("invoice_verified") == pair:
            return {}
        try:
            invoice = await get_portal_client().lookup_invoice(kassenzeichen, Decimal(amount))
        except NotFound:
            return self._missed(dispatcher, tracker)
        except Throttled as error:
            return throttled(error, dispatcher)
        except PortalError as error:
            return unavailable(error, dispatcher, tracker)
        lang = common.language(tracker)
        dispatcher.utter_message(
            response="utter_invoice_found",
            purpose=invoice.purpose,
            amount=common.format_amount(invoice.amount, lang),
            due_date=common.format_date(invoice.due_date, lang),
            kassenzeichen=invoice.kassenzeichen,
        )
        found = {
            "invoice_verified": pair,
            "invoice_purpose": invoice.purpose,
            "invoice_due_date": invoice.due_date.isoformat(),
            "invoice_lookup_misses": None,
        }
        return {**found, **await self.on_invoice(invoice, dispatcher, tracker)}

    def _missed(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        misses = int(tracker.get_slot("invoice_lookup_misses") or 0) + 1
        cleared = {"kassenzeichen": None, "invoice_amount": None, "invoice_verified": None}
        if misses >= MAX_LOOKUP_MISSES:
            dispatcher.utter_message(
                response="utter_invoice_not_found_human", **common.contact(tracker)
            )
            return {**cleared, "invoice_lookup_misses": float(misses), **common.stop("not_found")}
        dispatcher.utter_message(response="utter_invoice_not_found")
        return {**cleared, "invoice_lookup_misses": float(misses)}


def _consent_outdated(before: dict[str, Any], after: dict[str, Any]) -> bool:
    if before.get("mandate_consent") is not True or after.get("mandate_consent") is not True:
        return False
    return any(before.get(slot) != after.get(slot) for slot in MANDATE_DATA)


def holds_other_values(tracker: Tracker, text: str) -> bool:
    """Whether the message carries another value, so it is not a (mistyped) Kassenzeichen."""
    others = ("amount", "email", "iban", "person_name")
    return any(common.entity(tracker, name) for name in others) or find_iban(text) is not None


def throttled(error: Throttled, dispatcher: CollectingDispatcher) -> dict[str, Any]:
    minutes = max(1, math.ceil((error.retry_after or 15 * 60) / 60))
    dispatcher.utter_message(response="utter_portal_throttled", minutes=minutes)
    return common.stop("throttled")


def unavailable(
    error: PortalError, dispatcher: CollectingDispatcher, tracker: Tracker
) -> dict[str, Any]:
    # The type only: the portal's detail is for operators, never for the citizen.
    log.warning("portal call failed: %s (status %s)", type(error).__name__, error.status)
    dispatcher.utter_message(response="utter_payment_unavailable", **common.contact(tracker))
    return common.stop("unavailable")
