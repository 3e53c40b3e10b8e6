"""``validate_payment_form``: the payment conversation's slots, in any order, several at once.

Kassenzeichen and amount first (checked at the portal), then account holder, IBAN, e-mail,
consent to the mandate text, and the signing code. The IBAN never reaches a slot in clear: its
slot holds the masked form, ``iban_token`` a handle to the IBAN kept by the action server
(``actions/iban_vault.py``), deleted once the run no longer needs it (a corrected or
replaced IBAN: ``invoice_check.py``; the end of the form: ``finish.py``).
"""

from __future__ import annotations

from typing import Any

from actions import iban_vault, signing
from actions.forms import Field, Turn, Update
from actions.payment import common, mandate
from actions.payment.extract import (
    find_email,
    find_holder,
    find_iban,
    find_signing_code,
    strip_name_phrase,
)
from actions.payment.invoice_check import (
    MANDATE_DATA,
    InvoiceForm,
    holds_other_values,
    unavailable,
)
from actions.portal_client import Invoice, PortalError
from rules import account_holder as holder_validator
from rules import bic as bic_validator
from rules import email as email_validator
from rules import iban as iban_validator
from rules import signing_code as code_validator
from rules.errors import InputError

_ADDRESS_SEPARATOR = ","
# A changed value after the consent needs a new consent (and a new mandate).
_NEW_CONSENT = {"mandate_consent": None, "mandate_id": None}


async def account_holder(value: str, turn: Turn) -> str:
    return holder_validator.validate(value)


async def iban(value: str, turn: Turn) -> Update:
    """Validated and sealed at once, so no clear value is ever a slot event."""
    number = iban_validator.validate(value)
    try:
        token = await iban_vault.seal(number)
    except iban_vault.VaultError as error:
        return Update(unavailable(PortalError(str(error)), turn.dispatcher, turn.tracker))
    masked = iban_validator.mask(number)
    bank = iban_validator.bank_name(number)
    if bank:
        turn.say("utter_iban_accepted_bank", iban=masked, bank=bank)
    else:
        turn.say("utter_iban_accepted", iban=masked)
    changed = turn.slot("iban") not in (None, masked)
    return Update(
        iban=masked, iban_token=token, iban_country=number[:2], **(_NEW_CONSENT if changed else {})
    )


async def debtor_bic(value: str, turn: Turn) -> str:
    if not bic_validator.is_valid(value):
        raise InputError("not a BIC", code="invalid")
    return str(bic_validator.compact(value))


async def debtor_address(value: str, turn: Turn) -> dict[str, str]:
    address = parse_address(value, str(turn.slot("iban_country") or ""))
    if address is None:
        raise InputError("not an address", code="invalid")
    return address


async def email(value: str, turn: Turn) -> str:
    # A new address after the consent needs a new one: see ValidatePaymentForm.after.
    return email_validator.validate(value)


async def mandate_consent(answer: str, turn: Turn) -> Update:
    """Only an explicit yes to the question goes on; the yes creates the mandate."""
    if turn.slot("mandate_id"):  # the mandate exists (a repeated turn): nothing more to do
        return Update(mandate_consent=answer == "affirm")
    if answer != "affirm":
        turn.say("utter_mandate_declined")
        return Update(mandate_consent=False, **common.stop("declined"))
    return Update({"mandate_consent": True, **await mandate.create(turn.dispatcher, turn.tracker)})


def _holder_text(text: str, turn: Turn) -> str:
    return strip_name_phrase(text)


def signing_code_text(text: str, turn: Turn) -> str | None:
    return None if holds_other_values(turn) else text


async def signature_code(value: str, turn: Turn) -> Update:
    if not turn.slot("mandate_id"):
        return Update(signature_code=value)
    typed = find_signing_code(value)
    if typed is None and (
        signing.pending(turn.tracker) or signing.EMAIL_CODE not in signing.methods(turn.tracker)
    ):
        # Waiting for the login ("fertig", "ok"): no code was meant, nothing to complain about.
        return Update()
    if signing.EMAIL_CODE not in signing.methods(turn.tracker):
        # The city's policy wants a login for this mandate; the portal would refuse the code.
        turn.say("utter_signing_code_not_allowed")
        return Update(signature_code=None)
    code = code_validator.validate(typed or value)
    return Update(
        {"signature_code": value, **await mandate.sign(code, turn.dispatcher, turn.tracker)}
    )


class ValidatePaymentForm(InvoiceForm):
    form = "payment_form"
    # A login's outcome is news of its own: no summary of the form beside it.
    no_summary_after = InvoiceForm.no_summary_after | signing.OUTCOME_RESPONSES
    fields = (
        *InvoiceForm.fields,
        Field(
            "account_holder",
            account_holder,
            "person_name",
            find_holder,  # "Erika Mustermann DE89 …": the name beside the IBAN
            _holder_text,
            anytime=True,
        ),
        Field("iban", iban, find=find_iban, anytime=True),
        Field("debtor_bic", debtor_bic),
        Field("debtor_address", debtor_address),
        Field("email", email, "email", find_email, anytime=True),
        Field("mandate_consent", mandate_consent, confirm=True),
        # "123456" may be classified as anything; a six-digit run is the code.
        Field("signature_code", signature_code, find=find_signing_code, text=signing_code_text),
    )

    def waiting(self, turn: Turn) -> bool:
        return signing.pending(turn.tracker) is not None  # the login at the portal

    def required(self, turn: Turn) -> list[str]:
        slots = [s for s in super().required(turn) if s not in common.NON_EEA_SLOTS]
        country = turn.slot("iban_country")
        if "iban" in slots and country and iban_validator.needs_bic_and_address(country):
            position = slots.index("iban") + 1
            slots[position:position] = list(common.NON_EEA_SLOTS)
        return slots

    async def on_invoice(self, invoice: Invoice, turn: Turn) -> dict[str, Any]:
        if invoice.payment_state == "paid":
            turn.say("utter_invoice_already_paid")
            return common.stop("paid")
        if invoice.payment_state == "direct_debit" or invoice.active_mandate_id:
            turn.say("utter_invoice_has_mandate")
            return common.stop("has_mandate")
        return {}

    async def after(self, turn: Turn) -> dict[str, Any]:
        found = await super().after(turn)
        turn.tracker.slots.update(found)
        login = await _login_step(turn)
        if login:
            turn.tracker.slots.update(login)
            return {**found, **login}
        if not _consent_outdated(turn.before, turn.tracker.slots):
            return found
        # The citizen consented to other data than now: ask again, and make a new mandate.
        return {**found, **_NEW_CONSENT, "signature_code": None}


async def _login_step(turn: Turn) -> dict[str, Any]:
    """At the signing step: the citizen chose the login, or a login may be over (the portal's
    ``signing_finished``, or any message while one is pending)."""
    if turn.activating or not turn.slot("mandate_id") or turn.slot("signature_code") == "signed":
        return {}
    if turn.slot("payment_stop"):
        return {}
    if turn.intent == signing.CHOOSE_INTENT:
        return await mandate.start_login(turn.dispatcher, turn.tracker)
    if signing.pending(turn.tracker) or turn.intent == signing.FINISHED_INTENT:
        return await mandate.after_login(turn.dispatcher, turn.tracker)
    return {}


def _consent_outdated(before: dict[str, Any], after: dict[str, Any]) -> bool:
    if before.get("mandate_consent") is not True or after.get("mandate_consent") is not True:
        return False
    return any(before.get(slot) != after.get(slot) for slot in MANDATE_DATA)


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
