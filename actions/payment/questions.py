"""``invoice_question`` (amount, due date, payment state) and ``revoke_mandate``.

Both need the same proof as a payment (Kassenzeichen and amount, checked at the portal) before
they tell or change anything; revoking asks for an explicit yes first.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import Field, Turn, Update
from actions.payment import common
from actions.payment.finish import reset_events
from actions.payment.invoice_check import InvoiceForm, throttled, unavailable
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


class ValidateInvoiceQuestionForm(InvoiceForm):
    form = "invoice_question_form"

    async def on_invoice(self, invoice: Invoice, turn: Turn) -> dict[str, Any]:
        turn.say(STATE_RESPONSES.get(invoice.payment_state, "utter_invoice_state_open"))
        return {}


async def revoke_confirmation(answer: str, turn: Turn) -> bool | dict[str, Any]:
    """Revoke on an explicit yes only; no keeps the mandate."""
    if answer != "affirm":
        turn.say("utter_revoke_kept")
        return False
    try:
        mandate_id = common.mandate_from_slot(turn.slot("mandate_id"))
        await get_portal_client().revoke_mandate(mandate_id)
    except (Conflict, NotFound):
        turn.say("utter_no_mandate_to_revoke")
        return False
    except Throttled as error:
        return Update(throttled(error, turn.dispatcher))
    except PortalError as error:
        return Update(unavailable(error, turn.dispatcher, turn.tracker))
    turn.say("utter_mandate_revoked", mandate_reference=turn.slot("mandate_reference") or "")
    return True


class ValidateRevokeMandateForm(InvoiceForm):
    form = "revoke_mandate_form"
    fields = (
        *InvoiceForm.fields,
        Field("revoke_confirmation", revoke_confirmation, confirm=True),
    )

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
