"""The payment form against the real portal process and mail sink (no Rasa): the signing code
comes from the mail the portal sent."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from payment_harness import Conversation

from actions.payment.finish import ActionPaymentSubmit
from actions.payment.form import ValidatePaymentForm
from actions.portal_client import PortalClient, set_portal_client

# The portal engineer's harness starts the real portal and mail sink; reuse it.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "portal"))
from portal_harness import TOKEN, sqlite_portal_with_sink

pytestmark = pytest.mark.integration
IBAN = "DE89 3704 0044 0532 0130 00"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    folder = tmp_path_factory.mktemp("payment-portal")
    with sqlite_portal_with_sink(folder) as running:
        yield running
    set_portal_client(None)


def conversation(portal: Any) -> Conversation:
    talk = Conversation(ValidatePaymentForm(), ActionPaymentSubmit())
    talk.client_factory = lambda: PortalClient(portal.url, TOKEN)
    return talk


def test_pay_the_demo_invoice_signed_with_the_mailed_code(running: tuple[Any, Any]) -> None:
    portal, sink = running
    talk = conversation(portal)
    first = talk.say(
        "Kassenzeichen 4100.2026.0001, 48,00 Euro", kassenzeichen="4100.2026.0001", amount="48,00"
    )
    assert first == ["utter_invoice_found", "utter_ask_account_holder"]
    assert "Abfallgebühren" in talk.message("utter_invoice_found")["purpose"]
    talk.say("Erika Mustermann", person_name="Erika Mustermann")
    assert talk.say(IBAN) == ["utter_iban_accepted", "utter_ask_email"]
    talk.say("erika.portal@example.de")
    # The demo city allows the code for this amount (data/signing.yml): the question offers
    # the login beside it (issue 15).
    assert talk.say("ja", intent="affirm") == [
        "utter_signing_code_sent",
        "utter_ask_signature_code_or_login",
    ]
    assert talk.slots["signing_methods"] == ["bundid", "email_code"]
    code = sink.code_for("erika.portal@example.de")
    wrong = "000000" if code != "000000" else "111111"
    assert talk.say(wrong) == ["utter_signing_code_wrong", "utter_ask_signature_code_or_login"]
    assert talk.message("utter_signing_code_wrong")["attempts_left"] == 2
    assert talk.say(code) == ["utter_payment_done"]
    done = talk.message("utter_payment_done")
    assert done["mandate_reference"]
    assert re.search(r"/documents/[0-9a-f]{32}/[0-9a-f]{32}\.pdf$", done["document_url"])
    assert talk.user_messages <= 10

    listed = portal.client().get("/api/v1/mandates", params={"kassenzeichen": "4100.2026.0001"})
    mandates = listed.json()["items"]
    assert [m["status"] for m in mandates] == ["active"]
    assert mandates[0]["iban_masked"] == "DE89 **** **** **** **30 00"
    assert "370400440532013000" not in portal.log()


def test_the_same_invoice_cannot_get_a_second_mandate(running: tuple[Any, Any]) -> None:
    portal, _ = running
    talk = conversation(portal)
    replies = talk.say("4100.2026.0001 48,00", kassenzeichen="4100.2026.0001", amount="48,00")
    assert replies == ["utter_invoice_found", "utter_invoice_has_mandate"]
    assert not talk.active


def test_a_wrong_amount_is_a_plain_miss(running: tuple[Any, Any]) -> None:
    portal, _ = running
    talk = conversation(portal)
    replies = talk.say("4100.2026.0003 99,00", kassenzeichen="4100.2026.0003", amount="99,00")
    assert replies == ["utter_invoice_not_found", "utter_ask_kassenzeichen"]
