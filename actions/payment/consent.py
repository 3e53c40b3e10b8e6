"""The mandate text the citizen reads before consenting, from ``data/consent/``.

The portal stores the version and a hash of the German text as evidence, so the chat shows
exactly that file (the English one is a courtesy translation), filled with the creditor's
name and identifier from ``CREDITOR_NAME`` and ``CREDITOR_ID``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import signing
from actions.city import data_dir
from actions.payment import common

CONSENT_TEXT_VERSION = "sepa-mandate-2026-1"


class CreditorMissing(RuntimeError):
    """CREDITOR_ID or CREDITOR_NAME is not set: no mandate text can be shown."""


def creditor(environ: Mapping[str, str] = os.environ) -> tuple[str, str]:
    name, identifier = environ.get("CREDITOR_NAME", ""), environ.get("CREDITOR_ID", "")
    if not name or not identifier:
        raise CreditorMissing("CREDITOR_NAME and CREDITOR_ID must be set (the launcher does)")
    return name, identifier


@lru_cache(maxsize=4)
def _template(version: str, language: str) -> str:
    path = data_dir() / "consent" / f"{version}.{language}.txt"
    return path.read_text(encoding="utf-8").strip()


def mandate_text(language: str, environ: Mapping[str, str] = os.environ) -> str:
    name, identifier = creditor(environ)
    text = _template(CONSENT_TEXT_VERSION, "en" if language == "en" else "de")
    return text.format(creditor_name=name, creditor_id=identifier)


class ActionAskMandateConsent(Action):
    """Shows the summary and the full mandate text, then asks whether the citizen grants it."""

    def name(self) -> str:
        return "action_ask_mandate_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        lang = common.language(tracker)
        try:
            text = mandate_text(lang)
        except (CreditorMissing, OSError):
            dispatcher.utter_message(
                response="utter_payment_unavailable", **common.contact(tracker)
            )
            return []
        amount = tracker.get_slot("invoice_amount")
        dispatcher.utter_message(
            response="utter_mandate_consent_question",
            mandate_text=text,
            account_holder=tracker.get_slot("account_holder") or "",
            iban=tracker.get_slot("iban") or "",
            purpose=tracker.get_slot("invoice_purpose") or "",
            amount=common.format_amount(amount, lang) if amount else "",
            email=tracker.get_slot("email") or "",
        )
        return []


class ActionAskSignatureCode(Action):
    """The signing step's question: the login (BundID / online ID card) and, where the city's
    policy allows it for the amount, the code from the e-mail; while a login is open, that the
    chat waits for it (with a button for a new link)."""

    def name(self) -> str:
        return "action_ask_signature_code"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if signing.started_this_turn(tracker):
            return []  # the link just went out; it says what to do
        allowed = signing.methods(tracker)
        code = signing.EMAIL_CODE in allowed
        if signing.pending(tracker):
            dispatcher.utter_message(
                response="utter_signing_waiting_or_code" if code else "utter_signing_waiting"
            )
        elif signing.BUNDID in allowed:
            dispatcher.utter_message(
                response="utter_ask_signature_code_or_login" if code else "utter_ask_login",
                email=tracker.get_slot("email") or "",
            )
        else:
            dispatcher.utter_message(response="utter_ask_signature_code")
        return []
