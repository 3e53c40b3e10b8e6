"""``invoice_question`` (amount, due date, payment state) and ``revoke_mandate``.

Both need the same proof as a payment (Kassenzeichen and amount, checked at the portal) before
they tell or change anything; revoking asks for an explicit yes, then a login at the city's level
(BundID / online ID card, ``actions/signing.py``), and revokes with that login.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import signing
from actions.forms import Field, Turn
from actions.payment import common
from actions.payment.finish import reset_events
from actions.payment.invoice_check import InvoiceForm, throttled, unavailable
from actions.portal_client import (
    Conflict,
    Invoice,
    NotFound,
    PortalAuthError,
    PortalError,
    SigningSession,
    Throttled,
    get_portal_client,
)
from actions.signing import LoginForm

REVOKE_PURPOSE = "revoke_mandate"

STATE_RESPONSES = {
    "open": "utter_invoice_state_open",
    "paid": "utter_invoice_state_paid",
    "direct_debit": "utter_invoice_state_direct_debit",
}


class ValidateInvoiceQuestionForm(InvoiceForm):
    form = "invoice_question_form"

    async def on_invoice(self, invoice: Invoice, turn: Turn) -> dict[str, Any]:
        turn.say(STATE_RESPONSES.get(invoice.payment_state, "utter_invoice_state_open"))
        return {}


async def revoke_confirmation(answer: str, turn: Turn) -> bool:
    """An explicit yes goes on to the login (the revocation follows it); no keeps the mandate."""
    if answer != "affirm":
        turn.say("utter_revoke_kept")
        return False
    return True


class ValidateRevokeMandateForm(LoginForm, InvoiceForm):
    """Kassenzeichen and amount, the yes, then a login at the city's level: only the person who
    signed the mandate or the account holder may revoke it (the portal checks the login)."""

    form = "revoke_mandate_form"
    fields = (
        *InvoiceForm.fields,
        Field("revoke_confirmation", revoke_confirmation, confirm=True),
        signing.LOGIN_FIELD,
    )
    login_purpose = REVOKE_PURPOSE
    login_after = "revoke_confirmation"
    login_link = "utter_login_link_revoke"
    no_summary_after = InvoiceForm.no_summary_after | signing.OUTCOME_RESPONSES

    def login_subject(self, turn: Turn) -> str | None:
        value = turn.slot("mandate_id")
        return common.mandate_from_slot(value) if value else None

    def login_name_mismatch(self, turn: Turn) -> dict[str, Any]:
        return common.stop("not_entitled")

    def login_unavailable(self, turn: Turn) -> dict[str, Any]:
        return common.stop("unavailable")

    async def login_completed(self, session: SigningSession, turn: Turn) -> dict[str, Any]:
        mandate_id = common.mandate_from_slot(turn.slot("mandate_id"))
        try:
            await get_portal_client().revoke_mandate(mandate_id, session.id)
        except (Conflict, NotFound):
            turn.say("utter_no_mandate_to_revoke")
            return common.stop("no_mandate")
        except PortalAuthError:
            # The portal refused this login for this mandate (not the signer nor the holder).
            turn.say("utter_revoke_not_entitled")
            return common.stop("not_entitled")
        except Throttled as error:
            return throttled(error, turn.dispatcher)
        except PortalError as error:
            return unavailable(error, turn.dispatcher, turn.tracker)
        turn.say("utter_mandate_revoked", mandate_reference=turn.slot("mandate_reference") or "")
        return {signing.LOGIN_SLOT: "done", signing.SESSION_SLOT: None}

    async def on_invoice(self, invoice: Invoice, turn: Turn) -> dict[str, Any]:
        if not invoice.active_mandate_id:
            turn.say("utter_no_mandate_to_revoke")
            return common.stop("no_mandate")
        try:
            mandate = await get_portal_client().get_mandate(invoice.active_mandate_id)
        except NotFound:
            turn.say("utter_no_mandate_to_revoke")
            return common.stop("no_mandate")
        except Throttled as error:
            return throttled(error, turn.dispatcher)
        except PortalError as error:
            return unavailable(error, turn.dispatcher, turn.tracker)
        return {
            "mandate_id": common.mandate_slot(mandate.id),
            "mandate_reference": mandate.mandate_reference or "",
            "iban": mandate.iban_masked or "",
        }


class ActionInvoiceFlowEnd(Action):
    """Runs when the question or revocation form ends: forget every value of the flow."""

    def name(self) -> str:
        return "action_invoice_flow_end"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return reset_events()
