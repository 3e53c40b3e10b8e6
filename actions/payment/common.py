"""What the payment flows share: slot names, formatting per language, failures, stopping.

>>> format_date("2026-12-15", "de"), format_date("2026-12-15", "en")
('15.12.2026', '15 December 2026')
>>> format_amount("48.00", "de"), format_amount("48.00", "en")
('48,00 €', '€48.00')
>>> mandate_slot("ab12cd34ef56ab12cd34ef56ab12cd34")
'06162313263643334656635366162313263643334656635366162313263643334'
>>> mandate_from_slot(mandate_slot("ab12cd34ef56ab12cd34ef56ab12cd34"))
'ab12cd34ef56ab12cd34ef56ab12cd34'
>>> failure_response("iban", "wrong_length")
'utter_invalid_iban_wrong_length'
>>> failure_response("email", "missing_at")
'utter_invalid_email'
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal
from typing import Any

from rasa_sdk import Tracker

from actions.city import load_city
from actions.contact import contact_details
from actions.language import current_language
from rules import amount as amount_validator

FORM_SLOTS = (
    "kassenzeichen",
    "invoice_amount",
    "account_holder",
    "iban",
    "email",
    "mandate_consent",
    "signature_code",
)
# Asked only for IBANs of SEPA countries outside the EEA (CH, GB, …), right after the IBAN.
NON_EEA_SLOTS = ("debtor_bic", "debtor_address")
# Working state of the flows; reset with the form so nothing outlives the process.
STATE_SLOTS = (
    "iban_token",
    "iban_country",
    "invoice_verified",
    "invoice_purpose",
    "invoice_due_date",
    "invoice_lookup_misses",
    "payment_failures",
    "payment_stop",
    "mandate_id",
    "mandate_reference",
    "mandate_first_collection",
    "mandate_document_url",
    "revoke_confirmation",
    # the login at the citizen's user account (actions/signing.py)
    "signing_session_id",
    "signing_methods",
    "signing_level",
    "online_id_login",
)
ALL_SLOTS = FORM_SLOTS + NON_EEA_SLOTS + STATE_SLOTS

# Validator codes with a message of their own; other codes use the slot's general message.
SPECIFIC_MESSAGES = frozenset(
    {
        ("iban", "wrong_length"),
        ("iban", "checksum"),
        ("iban", "unknown_country"),
        ("iban", "not_sepa"),
        ("invoice_amount", "ambiguous"),
        ("invoice_amount", "too_many_decimals"),
        ("account_holder", "looks_like_iban"),
    }
)
FAILURES_BEFORE_EXPLAINING = 2
# Intents whose text may be read as a value; others ("abbrechen", "hilfe") never are.
FREE_TEXT_INTENTS = frozenset({"inform", "nlu_fallback"})


def language(tracker: Tracker) -> str:
    return current_language(tracker)


def format_amount(value: str | Decimal, lang: str) -> str:
    amount = Decimal(str(value))
    return (
        amount_validator.format_en(amount) if lang == "en" else amount_validator.format_de(amount)
    )


def format_date(value: str | date | None, lang: str) -> str:
    if not value:
        return ""
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    if lang == "en":
        return f"{day.day} {calendar.month_name[day.month]} {day.year}"
    return day.strftime("%d.%m.%Y")


def failure_response(slot: str, code: str) -> str:
    if (slot, code) in SPECIFIC_MESSAGES:
        return f"utter_invalid_{slot}_{code}"
    return f"utter_invalid_{slot}"


def contact(tracker: Tracker) -> dict[str, str]:
    """Phone numbers and hours for messages that send the citizen to a person."""
    return contact_details(load_city(), language(tracker))


# A mandate is granted or revoked only on a clear yes: short junk ("jjj", "öhm") can land on
# `affirm` with middling confidence, and money must not move on a guess.
CONFIRMATION_MIN_CONFIDENCE = 0.8


def clear_answer(tracker: Tracker) -> str | None:
    """`affirm` or `deny` when the NLU is sure of it, else None (the question is asked again)."""
    intent = tracker.latest_message.get("intent") or {}
    if intent.get("name") not in ("affirm", "deny"):
        return None
    if float(intent.get("confidence") or 0.0) < CONFIRMATION_MIN_CONFIDENCE:
        return None
    return str(intent["name"])


def clear_failures(slot: str, tracker: Tracker) -> dict[str, Any]:
    failures = dict(tracker.get_slot("payment_failures") or {})
    if slot not in failures:
        return {}
    failures.pop(slot)
    return {"payment_failures": failures}


def mandate_slot(mandate_id: str) -> str:
    """How a portal mandate id is kept in the ``mandate_id`` slot.

    The tracker store masks IBAN-shaped text, and a hex id such as ``ab12cd34…`` has that
    shape. Written as a digit followed by the id's bytes in hex, the value is one alphanumeric
    run that starts with a digit, which the masking can never take for an IBAN.
    """
    return "0" + mandate_id.encode("utf-8").hex()


def mandate_from_slot(value: Any) -> str:
    return bytes.fromhex(str(value)[1:]).decode("utf-8")


def stop(reason: str) -> dict[str, Any]:
    """Slot values that make the form end without asking anything more."""
    return {"payment_stop": reason}
