from __future__ import annotations

from payment_fake_portal import FakePortal
from payment_harness import Conversation

from actions.payment.questions import (
    ActionInvoiceFlowEnd,
    ValidateInvoiceQuestionForm,
    ValidateRevokeMandateForm,
)


def question() -> Conversation:
    return Conversation(ValidateInvoiceQuestionForm(), ActionInvoiceFlowEnd())


def revocation() -> Conversation:
    return Conversation(ValidateRevokeMandateForm(), ActionInvoiceFlowEnd())


def test_the_question_is_answered_with_amount_due_date_and_state(portal: FakePortal) -> None:
    talk = question()
    assert talk.say("Wann ist 4100.2026.0001 fällig?", kassenzeichen="4100.2026.0001") == [
        "utter_ask_invoice_amount"
    ]
    assert talk.say("48,00") == ["utter_invoice_found", "utter_invoice_state_open"]
    found = talk.message("utter_invoice_found")
    assert (found["amount"], found["due_date"]) == ("48,00 €", "15.12.2026")
    assert not talk.active
    assert talk.slots["kassenzeichen"] is None  # forgotten at the end


def test_the_question_needs_the_right_amount(portal: FakePortal) -> None:
    talk = question()
    replies = talk.say("4100.2026.0001 50,00", kassenzeichen="4100.2026.0001", amount="50,00")
    assert replies == ["utter_invoice_not_found", "utter_ask_kassenzeichen"]


def test_a_paid_invoice_is_reported_as_paid(portal: FakePortal) -> None:
    portal.add_invoice("4100.2026.0002", "60.00", payment_state="paid")
    talk = question()
    replies = talk.say("4100.2026.0002 60,00", kassenzeichen="4100.2026.0002", amount="60,00")
    assert replies == ["utter_invoice_found", "utter_invoice_state_paid"]


def _active_mandate(portal: FakePortal) -> None:
    portal.mandates["m1"] = {
        "id": "m1",
        "status": "active",
        "iban_masked": "DE89 **** **** **** **30 00",
        "kassenzeichen": "4100.2026.0001",
        "mandate_reference": "4100.2026.0001-01",
    }
    portal.invoices["4100.2026.0001"].update(payment_state="direct_debit", active_mandate_id="m1")


def test_revocation_after_the_check_and_a_confirmation(portal: FakePortal) -> None:
    _active_mandate(portal)
    talk = revocation()
    replies = talk.say("4100.2026.0001 48,00", kassenzeichen="4100.2026.0001", amount="48,00")
    assert replies == ["utter_invoice_found", "utter_ask_revoke_confirmation"]
    assert talk.slots["mandate_reference"] == "4100.2026.0001-01"
    assert talk.slots["iban"] == "DE89 **** **** **** **30 00"
    assert portal.mandates["m1"]["status"] == "active"  # not before the yes
    portal.revoke_needs_login = True
    # The yes sends a login link (issue 15): only the signer or the account holder may revoke.
    assert talk.say("ja", intent="affirm") == ["utter_login_link_revoke"]
    assert portal.mandates["m1"]["status"] == "active"  # not before the login
    (session,) = portal.sessions.values()
    assert (session["purpose"], session["subject_id"]) == ("revoke_mandate", "m1")
    portal.finish(session["id"])
    replies = talk.say(
        "EXTERNAL: signing_finished", intent="signing_finished", signing_session_id=session["id"]
    )
    assert replies == ["utter_mandate_revoked"]
    assert portal.mandates["m1"]["status"] == "revoked"
    assert not talk.active


def test_revocation_declined_keeps_the_mandate(portal: FakePortal) -> None:
    _active_mandate(portal)
    talk = revocation()
    talk.say("4100.2026.0001 48,00", kassenzeichen="4100.2026.0001", amount="48,00")
    assert talk.say("nein", intent="deny") == ["utter_revoke_kept"]
    assert portal.mandates["m1"]["status"] == "active"


def test_nothing_to_revoke(portal: FakePortal) -> None:
    talk = revocation()
    replies = talk.say("4100.2026.0001 48,00", kassenzeichen="4100.2026.0001", amount="48,00")
    assert replies == ["utter_invoice_found", "utter_no_mandate_to_revoke"]
    assert not talk.active
