"""Creating the mandate at the portal once the citizen consented, and signing it with the code.

The clear IBAN exists only here, for the duration of one request: it is opened from the vault
handle in the slot and sent to the portal. The vault keeps it until the form ends (signed,
stopped or cancelled: ``finish.py`` deletes it), so that Rasa's retry of a turn whose answer was
lost sends the same request again and a value corrected before signing makes a new mandate; a
refused IBAN is deleted at once. The Idempotency-Key is derived from the conversation,
the form run and the mandate's content, so a retried request never creates a second mandate,
while a corrected value gives a new one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from decimal import Decimal
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import iban_vault, signing
from actions.payment import common
from actions.payment.consent import CONSENT_TEXT_VERSION
from actions.payment.invoice_check import throttled, unavailable
from actions.portal_client import (
    Conflict,
    DebtorAddress,
    MandateRequest,
    PortalError,
    PortalRejected,
    PortalUnavailable,
    SignedMandate,
    Throttled,
    get_portal_client,
)

FORM_NAME = "payment_form"
SIGN_PURPOSE = "sign_mandate"
# Portal field -> the form's slot, for 422 answers naming a field.
PORTAL_FIELDS = {
    "kassenzeichen": "kassenzeichen",
    "amount": "invoice_amount",
    "account_holder": "account_holder",
    "iban": "iban",
    "email": "email",
    "bic": "debtor_bic",
    "debtor_address": "debtor_address",
}


def form_started_at(tracker: Tracker) -> float:
    """When the current run of the payment form began (its activation event)."""
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name") == FORM_NAME:
            return float(event.get("timestamp") or 0.0)
    return 0.0


def idempotency_key(sender_id: str, started_at: float, request: MandateRequest, secret: str) -> str:
    """An HMAC (not a plain hash: the body holds the IBAN) of conversation, run and content."""
    content = json.dumps(request.body(), sort_keys=True, ensure_ascii=False)
    message = f"{sender_id}\n{started_at:.6f}\n{content}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"chat-{digest[:48]}"


def mandate_request(tracker: Tracker, clear_iban: str) -> MandateRequest:
    address = tracker.get_slot("debtor_address")
    return MandateRequest(
        kassenzeichen=str(tracker.get_slot("kassenzeichen")),
        amount=Decimal(str(tracker.get_slot("invoice_amount"))),
        account_holder=str(tracker.get_slot("account_holder")),
        iban=clear_iban,
        email=str(tracker.get_slot("email")),
        consent_text_version=CONSENT_TEXT_VERSION,
        channel=tracker.get_latest_input_channel() or "chat",
        bic=tracker.get_slot("debtor_bic"),
        debtor_address=DebtorAddress(**address) if isinstance(address, dict) else None,
        language="en" if common.language(tracker) == "en" else "de",
    )


async def create(dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    """Create the mandate; on success the portal mails the code and the form asks for it."""
    handle = tracker.get_slot("iban_token")
    try:
        clear_iban = await iban_vault.open(handle)
    except iban_vault.TokenInvalid:
        # expired, deleted, or lost with a restart of an action server without Redis
        dispatcher.utter_message(response="utter_iban_expired")
        return {"iban": None, "iban_token": None, "mandate_consent": None}
    except iban_vault.VaultError as error:
        return unavailable(PortalError(str(error)), dispatcher, tracker)
    request = mandate_request(tracker, clear_iban)
    secret = os.environ.get(iban_vault.KEY_VARIABLE, "")
    key = idempotency_key(tracker.sender_id, form_started_at(tracker), request, secret)
    try:
        mandate = await get_portal_client().create_mandate(request, key)
    except PortalRejected as error:
        rejected = _rejected_fields(error, dispatcher)
        if "iban_token" in rejected:
            await iban_vault.discard(handle)
        return rejected
    except Conflict:
        dispatcher.utter_message(response="utter_invoice_has_mandate")
        return common.stop("has_mandate")
    except Throttled as error:
        return throttled(error, dispatcher)
    except PortalError as error:
        return unavailable(error, dispatcher, tracker)
    created = {
        "mandate_consent": True,
        "mandate_id": common.mandate_slot(mandate.id),
        signing.METHODS_SLOT: list(mandate.signing_methods),
    }
    if signing.EMAIL_CODE in mandate.signing_methods:
        # The portal mailed a code; the question offers the login beside it where allowed.
        dispatcher.utter_message(
            response="utter_signing_code_sent", email=tracker.get_slot("email")
        )
        return created
    # The city's policy wants a login for this mandate: the link goes out at once.
    link = await signing.start(SIGN_PURPOSE, mandate.id, "utter_signing_link", dispatcher, tracker)
    return {**created, **(link or {})}


async def start_login(dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    """The citizen chose the login (or asked for a new link): a new single-use link."""
    if signing.BUNDID not in signing.methods(tracker):
        dispatcher.utter_message(response="utter_signing_login_not_offered")
        return {}
    mandate_id = common.mandate_from_slot(tracker.get_slot("mandate_id"))
    link = await signing.start(SIGN_PURPOSE, mandate_id, "utter_signing_link", dispatcher, tracker)
    return link or {}


async def after_login(dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    """Read the login's outcome: signed (the confirmation follows), failed (said why; nothing
    signed, a new link or the code where allowed), or still open (nothing to say)."""
    mandate_id = common.mandate_from_slot(tracker.get_slot("mandate_id"))
    result = await signing.outcome(SIGN_PURPOSE, mandate_id, tracker)
    if result.verdict == "failed":
        failure = signing.tell_failure(result, dispatcher, tracker, SIGN_PURPOSE)
        if failure == "name_mismatch":
            # Only the account holder may sign; the portal created nothing: start again.
            return {signing.SESSION_SLOT: None, **common.stop("name_mismatch")}
        return {signing.SESSION_SLOT: None}
    if result.verdict != "completed" or result.session is None:
        # Still open (or the portal could not say): the form keeps waiting and says so.
        return {signing.SESSION_SLOT: tracker.get_slot(signing.SESSION_SLOT)}
    try:
        signed = await get_portal_client().get_mandate(mandate_id)
    except PortalError as error:
        return unavailable(error, dispatcher, tracker)
    if signed.status != "active" or not signed.mandate_reference:
        # The login went through, yet the portal did not activate the mandate: say only that.
        dispatcher.utter_message(response="utter_signing_rejected", **common.contact(tracker))
        return common.stop("not_pending")
    first = signed.first_collection_date
    return {
        "signature_code": "signed",
        "mandate_reference": signed.mandate_reference,
        "mandate_first_collection": first.isoformat() if first else None,
        "mandate_document_url": signed.document_url,
        signing.SESSION_SLOT: None,
        signing.LEVEL_SLOT: result.session.level,
    }


def _rejected_fields(error: PortalRejected, dispatcher: CollectingDispatcher) -> dict[str, Any]:
    """A 422: ask again for each field the portal refused, with our own message for it."""
    slots = [PORTAL_FIELDS[field] for field in error.errors if field in PORTAL_FIELDS]
    if not slots:
        dispatcher.utter_message(response="utter_payment_rejected")
        return common.stop("rejected")
    for slot in slots:
        dispatcher.utter_message(response=common.failure_response(slot, "rejected"))
    cleared = dict.fromkeys(slots)
    if "iban" in cleared:
        cleared["iban_token"] = None
    return {**cleared, "mandate_consent": None, "mandate_id": None}


async def sign(code: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    """Sign with the code from the e-mail; a wrong code says how many tries remain."""
    mandate_id = common.mandate_from_slot(tracker.get_slot("mandate_id"))
    try:
        signed = await get_portal_client().sign_mandate(mandate_id, code)
    except PortalRejected as error:
        if error.code_expired:
            return await _resend(mandate_id, dispatcher, tracker)
        return _wrong_code(error, dispatcher)
    except Throttled as error:
        return throttled(error, dispatcher)
    except (Conflict, PortalUnavailable) as error:
        # a timeout may hide a signature that went through, and a conflict may be the answer
        # to a retry of one: only the portal's state may tell the citizen what happened
        return await _as_the_portal_says(mandate_id, error, dispatcher, tracker)
    except PortalError as error:
        return unavailable(error, dispatcher, tracker)
    return _signed(signed)


async def _as_the_portal_says(
    mandate_id: str, error: PortalError, dispatcher: CollectingDispatcher, tracker: Tracker
) -> dict[str, Any]:
    try:
        mandate = await get_portal_client().get_mandate(mandate_id)
    except PortalError:
        return unavailable(error, dispatcher, tracker)
    if mandate.status == "active" and mandate.mandate_reference:
        first = mandate.first_collection_date
        return {
            "signature_code": "signed",
            "mandate_reference": mandate.mandate_reference,
            "mandate_first_collection": first.isoformat() if first else None,
            "mandate_document_url": mandate.document_url,
        }
    if mandate.status == "rejected":
        dispatcher.utter_message(response="utter_signing_code_exhausted")
        return common.stop("code_exhausted")
    if mandate.status == "pending_signature":
        return unavailable(error, dispatcher, tracker)  # nothing was signed: that is the truth
    dispatcher.utter_message(response="utter_signing_rejected", **common.contact(tracker))
    return common.stop("not_pending")


async def _resend(
    mandate_id: str, dispatcher: CollectingDispatcher, tracker: Tracker
) -> dict[str, Any]:
    """An expired code: mail a new one and ask again (the mandate is still pending)."""
    try:
        await get_portal_client().resend_code(mandate_id)
    except PortalError:
        dispatcher.utter_message(response="utter_signing_code_expired")
        return common.stop("code_expired")
    dispatcher.utter_message(response="utter_signing_code_resent", email=tracker.get_slot("email"))
    return {"signature_code": None}


def _wrong_code(error: PortalRejected, dispatcher: CollectingDispatcher) -> dict[str, Any]:
    if error.mandate_status == "rejected" or error.attempts_left == 0:
        dispatcher.utter_message(response="utter_signing_code_exhausted")
        return common.stop("code_exhausted")
    dispatcher.utter_message(response="utter_signing_code_wrong", attempts_left=error.attempts_left)
    return {"signature_code": None}


def _signed(signed: SignedMandate) -> dict[str, Any]:
    first = signed.first_collection_date.isoformat() if signed.first_collection_date else None
    return {
        # The one-time code is spent; the slot keeps only the fact of the signature.
        "signature_code": "signed",
        "mandate_reference": signed.mandate_reference,
        "mandate_first_collection": first,
        "mandate_document_url": signed.document_url,
    }
