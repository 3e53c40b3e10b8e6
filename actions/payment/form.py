"""``validate_payment_form``: the payment conversation's slots, in any order, several at once.

Kassenzeichen and amount first (checked at the portal), then account holder, IBAN, e-mail,
consent to the mandate text, and the signing code. The IBAN never reaches a slot in clear: its
slot holds the masked form, ``iban_token`` the vault token the portal call is made with.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from stdnum import bic as bic_validator

from actions import iban_vault
from actions.payment import common, mandate
from actions.payment.extract import (
    correction_target,
    find_email,
    find_iban,
    find_signing_code,
    strip_name_phrase,
)
from actions.payment.invoice_check import InvoiceCheckingForm, holds_other_values, unavailable
from actions.portal_client import Invoice, PortalError
from rules import account_holder as holder_validator
from rules import email as email_validator
from rules import iban as iban_validator
from rules import signing_code as code_validator
from rules.errors import InputError

_ADDRESS_SEPARATOR = ","


class ValidatePaymentForm(InvoiceCheckingForm):
    def name(self) -> str:
        return "validate_payment_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        slots = await super().required_slots(domain_slots, dispatcher, tracker, domain)
        country = tracker.get_slot("iban_country")
        if slots and "iban" in slots and country and iban_validator.needs_bic_and_address(country):
            position = slots.index("iban") + 1
            slots[position:position] = list(common.NON_EEA_SLOTS)
        return slots

    async def on_invoice(
        self, invoice: Invoice, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        if invoice.payment_state == "paid":
            dispatcher.utter_message(response="utter_invoice_already_paid")
            return common.stop("paid")
        if invoice.payment_state == "direct_debit" or invoice.active_mandate_id:
            dispatcher.utter_message(response="utter_invoice_has_mandate")
            return common.stop("has_mandate")
        return {}

    # Account holder -----------------------------------------------------------------------

    async def extract_account_holder(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if common.latest_intent(tracker) == "cancel":
            return {}
        name = common.entity(tracker, "person_name")
        if name is None:
            text = self._free_text(tracker, "account_holder")
            # An IBAN typed here is taken as the IBAN (extract_iban), never as a name.
            if text is not None and find_iban(text) is None:
                name = strip_name_phrase(text)
        return {} if name is None else {"account_holder": name}

    async def validate_account_holder(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {}
        try:
            name = holder_validator.validate(str(value))
        except InputError as error:
            return common.record_failure("account_holder", error.code, dispatcher, tracker)
        return {"account_holder": name, **common.clear_failures("account_holder", tracker)}

    # IBAN: validated and sealed during extraction, so no clear value is ever a slot event ----

    async def extract_iban(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if common.latest_intent(tracker) == "cancel":
            return {}
        text = common.latest_text(tracker)
        candidate = find_iban(text)
        if candidate is None:
            candidate = self._free_text(tracker, "iban")
        if candidate is None:
            return {}
        try:
            number = iban_validator.validate(candidate)
        except iban_validator.IbanError as error:
            return common.record_failure("iban", error.code, dispatcher, tracker, **_details(error))
        try:
            token = iban_vault.seal(number)
        except iban_vault.VaultError as error:
            return unavailable(PortalError(str(error)), dispatcher, tracker)
        return self._accepted_iban(number, token, dispatcher, tracker)

    async def validate_iban(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {}  # validated and masked in extract_iban already

    def _accepted_iban(
        self, number: str, token: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        masked = iban_validator.mask(number)
        bank = iban_validator.bank_name(number)
        if bank:
            dispatcher.utter_message(response="utter_iban_accepted_bank", iban=masked, bank=bank)
        else:
            dispatcher.utter_message(response="utter_iban_accepted", iban=masked)
        changed = tracker.get_slot("iban") not in (None, masked)
        return {
            "iban": masked,
            "iban_token": token,
            "iban_country": number[:2],
            **common.clear_failures("iban", tracker),
            # A new IBAN after consent needs a new consent (and a new mandate).
            **({"mandate_consent": None, "mandate_id": None} if changed else {}),
        }

    # BIC and address, for SEPA countries outside the EEA ----------------------------------

    async def extract_debtor_bic(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = self._free_text(tracker, "debtor_bic")
        return {} if text is None else {"debtor_bic": text}

    async def validate_debtor_bic(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {}
        if not bic_validator.is_valid(str(value)):
            return common.record_failure("debtor_bic", "invalid", dispatcher, tracker)
        return {"debtor_bic": bic_validator.compact(str(value))}

    async def extract_debtor_address(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = self._free_text(tracker, "debtor_address")
        return {} if text is None else {"debtor_address": text}

    async def validate_debtor_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None or isinstance(value, dict):
            return {}
        address = parse_address(str(value), str(tracker.get_slot("iban_country") or ""))
        if address is None:
            return common.record_failure("debtor_address", "invalid", dispatcher, tracker)
        return {"debtor_address": address}

    # E-mail -------------------------------------------------------------------------------

    async def extract_email(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if common.latest_intent(tracker) == "cancel":
            return {}
        text = common.latest_text(tracker)
        value = common.entity(tracker, "email") or find_email(text)
        if value is None:
            value = self._free_text(tracker, "email")
        return {} if value is None else {"email": value}

    async def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {}
        try:
            address = email_validator.validate(str(value))
        except InputError as error:
            return common.record_failure("email", error.code, dispatcher, tracker)
        changed = tracker.get_slot("mandate_id") and address != tracker.get_slot("email")
        reset = {"mandate_consent": None, "mandate_id": None} if changed else {}
        return {"email": address, **common.clear_failures("email", tracker), **reset}

    # Consent: only an explicit yes to the question goes on ---------------------------------

    async def extract_mandate_consent(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "mandate_consent":
            return {}
        if correction_target(common.latest_text(tracker)):
            return {}  # "nein, die IBAN war falsch" corrects a value, it does not decline
        answer = common.clear_answer(tracker)
        if answer is None:
            return {}
        return {"mandate_consent": answer == "affirm"}

    async def validate_mandate_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None or tracker.get_slot("mandate_id"):
            return {}
        if value is not True:
            dispatcher.utter_message(response="utter_mandate_declined")
            return {"mandate_consent": False, **common.stop("declined")}
        return await mandate.create(dispatcher, tracker)

    # Signing code -------------------------------------------------------------------------

    async def extract_signature_code(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "signature_code":
            return {}
        if common.latest_intent(tracker) == "cancel":
            return {}
        text = common.latest_text(tracker)
        # "123456" may be classified as anything; a six-digit run is the code.
        code = find_signing_code(text)
        if code is None and not holds_other_values(tracker, text) and not correction_target(text):
            code = self._free_text(tracker, "signature_code")
        return {} if code is None else {"signature_code": code}

    async def validate_signature_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None or value == "signed" or not tracker.get_slot("mandate_id"):
            return {}
        try:
            code = code_validator.validate(find_signing_code(str(value)) or str(value))
        except InputError as error:
            return common.record_failure("signature_code", error.code, dispatcher, tracker)
        return await mandate.sign(code, dispatcher, tracker)


def _details(error: iban_validator.IbanError) -> dict[str, Any]:
    return {
        "country": error.country or "",
        "expected_length": error.expected_length or "",
        "actual_length": error.actual_length or "",
    }


def parse_address(text: str, country: str) -> dict[str, str] | None:
    """``"Bahnhofstrasse 1, 8001 Zürich"`` → street, postcode, city and the IBAN's country.

    >>> parse_address("Bahnhofstrasse 1, 8001 Zürich", "CH")
    {'street': 'Bahnhofstrasse 1', 'postcode': '8001', 'city': 'Zürich', 'country': 'CH'}
    >>> parse_address("10 Downing Street, London SW1A 2AA", "GB") is None
    True
    """
    if _ADDRESS_SEPARATOR not in text:
        return None
    street, rest = (part.strip() for part in text.rsplit(_ADDRESS_SEPARATOR, 1))
    postcode, _, city = rest.partition(" ")
    if not street or not city.strip() or not any(char.isdigit() for char in postcode):
        return None
    return {"street": street, "postcode": postcode, "city": city.strip(), "country": country}
