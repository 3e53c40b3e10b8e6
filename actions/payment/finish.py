"""The end of the payment form: the confirmation after signing, or a cancellation.

Either way every slot of the flow is cleared, so no personal value outlives the process in the
conversation's state (the masked IBAN and the vault handle included), and the IBAN the vault
still keeps for this run is deleted, so the handle left in the history opens nothing.
"""

from __future__ import annotations

import os
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import iban_vault, signing
from actions.payment import common
from actions.portal_client import DEFAULT_URL


def reset_events() -> list[EventType]:
    return [SlotSet(slot, None) for slot in common.ALL_SLOTS]


async def forget(tracker: Tracker) -> list[EventType]:
    """Delete the vault's IBAN of this run, then clear every slot of the flow."""
    await iban_vault.discard(tracker.get_slot("iban_token"))
    return reset_events()


def document_link(url: str) -> str:
    """The portal may answer with a path; the citizen needs a full address.

    >>> document_link("https://portal.example/m/1.pdf")
    'https://portal.example/m/1.pdf'
    """
    if url.startswith(("http://", "https://")):
        return url
    base = os.environ.get("PORTAL_PUBLIC_URL") or os.environ.get("PORTAL_URL") or DEFAULT_URL
    return base.rstrip("/") + "/" + url.lstrip("/")


class ActionPaymentSubmit(Action):
    """Runs when ``payment_form`` ends: confirms a signed mandate; a stopped run was explained."""

    def name(self) -> str:
        return "action_payment_submit"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        reference = tracker.get_slot("mandate_reference")
        if reference and tracker.get_slot("signature_code") == "signed":
            lang = common.language(tracker)
            level = tracker.get_slot(signing.LEVEL_SLOT)
            if level:
                # Signed with a login: what it proved comes first.
                dispatcher.utter_message(
                    response="utter_signed_with_login",
                    method=signing.method_name(level, lang),
                    level=signing.level_name(level, lang),
                )
            first = tracker.get_slot("mandate_first_collection")
            shared = {
                "mandate_reference": reference,
                "email": tracker.get_slot("email") or "",
                "document_url": document_link(str(tracker.get_slot("mandate_document_url") or "")),
            }
            if not first:
                # The portal plans no collection (every due date is already with the bank): say
                # so, never a date the portal will not collect on.
                dispatcher.utter_message(response="utter_payment_done_nothing_due", **shared)
            else:
                dispatcher.utter_message(
                    response="utter_payment_done",
                    first_collection=common.format_date(first, lang),
                    amount=common.format_amount(tracker.get_slot("invoice_amount") or "0", lang),
                    **shared,
                )
        return await forget(tracker)


class ActionPaymentCancel(Action):
    """``cancel`` inside one of the invoice forms: stop, nothing created, all values forgotten."""

    def name(self) -> str:
        return "action_payment_cancel"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_payment_cancelled")
        return [ActiveLoop(None), SlotSet("requested_slot", None), *await forget(tracker)]
