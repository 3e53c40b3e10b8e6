"""``invoice_question`` (amount, due date, payment state) and ``revoke_mandate``.

Both need the same proof as a payment (Kassenzeichen and amount, checked at the portal) before
they tell or change anything; revoking asks for an explicit yes first.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.payment import common
from actions.payment.finish import reset_events
from actions.payment.invoice_check import InvoiceCheckingForm, throttled, unavailable
from actions.portal_client import (
    Conflict,
    Invoice,
    NotFound,
    PortalError,
    Throttled,
    get_portal_client,
)

STATE_RESPONSES = {
    "open": "utter_invoice_state_open",
    "paid": "utter_invoice_state_paid",
    "direct_debit": "utter_invoice_state_direct_debit",
}


class ValidateInvoiceQuestionForm(InvoiceCheckingForm):
    def name(self) -> str:
        return "validate_invoice_question_form"

    async def on_invoice(
        self, invoice: Invoice, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        response = STATE_RESPONSES.get(invoice.payment_state, "utter_invoice_state_open")
        dispatcher.utter_message(response=response)
        return {}


class ValidateRevokeMandateForm(InvoiceCheckingForm):
    def name(self) -> str:
        return "validate_revoke_mandate_form"

    async def on_invoice(
        self, invoice: Invoice, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        if not invoice.active_mandate_id:
            dispatcher.utter_message(response="utter_no_mandate_to_revoke")
            return common.stop("no_mandate")
        try:
            mandate = await get_portal_client().get_mandate(invoice.active_mandate_id)
        except NotFound:
            dispatcher.utter_message(response="utter_no_mandate_to_revoke")
            return common.stop("no_mandate")
        except Throttled as error:
            return throttled(error, dispatcher)
        except PortalError as error:
            return unavailable(error, dispatcher, tracker)
        return {
            "mandate_id": common.mandate_slot(mandate.id),
            "mandate_reference": mandate.mandate_reference or "",
            "iban": mandate.iban_masked or "",
        }

    async def extract_revoke_confirmation(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "revoke_confirmation":
            return {}
        answer = common.clear_answer(tracker)
        if answer is None:
            return {}
        return {"revoke_confirmation": answer == "affirm"}

    async def validate_revoke_confirmation(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {}
        if value is not True:
            dispatcher.utter_message(response="utter_revoke_kept")
            return {"revoke_confirmation": False}
        try:
            mandate_id = common.mandate_from_slot(tracker.get_slot("mandate_id"))
            await get_portal_client().revoke_mandate(mandate_id)
        except (Conflict, NotFound):
            dispatcher.utter_message(response="utter_no_mandate_to_revoke")
            return {"revoke_confirmation": False}
        except Throttled as error:
            return throttled(error, dispatcher)
        except PortalError as error:
            return unavailable(error, dispatcher, tracker)
        dispatcher.utter_message(
            response="utter_mandate_revoked",
            mandate_reference=tracker.get_slot("mandate_reference") or "",
        )
        return {"revoke_confirmation": True}


class ActionInvoiceFlowEnd(Action):
    """Runs when the question or revocation form ends: forget every value of the flow."""

    def name(self) -> str:
        return "action_invoice_flow_end"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return reset_events()
