"""The signing step with a login at the citizen's user account (issue 15), on the fake portal:
the link as a URL button, the conversation going on by itself when the portal triggers
``signing_finished``, every failure told with nothing signed, and the e-mail code only where the
city's policy allows it."""

from __future__ import annotations

from payment_fake_portal import CODE, FakePortal
from payment_harness import Conversation
from test_payment_form import pay, start

from actions.payment.finish import ActionPaymentSubmit
from actions.payment.questions import ValidateRevokeMandateForm

FINISHED = "EXTERNAL: signing_finished"


def consented(portal: FakePortal, methods: list[str], channel: str = "telegram") -> Conversation:
    portal.signing_methods = methods
    talk = start()
    talk.channel = channel
    pay(talk)
    return talk


def finished(talk: Conversation, session_id: str) -> list[str]:
    return talk.say(FINISHED, intent="signing_finished", signing_session_id=session_id)


def test_a_login_only_mandate_sends_the_link_and_goes_on_by_itself(portal: FakePortal) -> None:
    talk = consented(portal, ["bundid"])
    assert talk.say("ja", intent="affirm") == ["utter_signing_link"]  # no code was mailed
    (session,) = portal.sessions.values()
    assert session["purpose"] == "sign_mandate" and session["subject_id"] == "m1"
    assert (session["conversation_id"], session["output_channel"]) == ("citizen-1", "telegram")
    link = talk.message("utter_signing_link")
    assert link["signing_url"] == f"http://portal.test/signing/{session['id']}?t=once"
    assert link["expires"] == "07:10" and link["level"] == "hoch"
    # The code is refused by the policy before the portal is asked; the login stays open.
    assert talk.say(CODE) == ["utter_signing_code_not_allowed", "utter_signing_waiting"]
    assert not any(r.url.path.endswith("/sign") for r in portal.requests)
    portal.finish(session["id"])
    assert finished(talk, session["id"]) == ["utter_signed_with_login", "utter_payment_done"]
    signed = talk.message("utter_signed_with_login")
    assert (signed["method"], signed["level"]) == ("Ihrem Online-Ausweis", "hoch")
    assert talk.message("utter_payment_done")["mandate_reference"] == "4100.2026.0001-01"
    assert portal.mandates["m1"]["status"] == "active"
    assert not talk.active
    assert all(value is None for name, value in talk.slots.items() if name != "language")


def test_where_the_code_is_allowed_the_citizen_chooses(portal: FakePortal) -> None:
    talk = consented(portal, ["bundid", "email_code"])
    assert talk.say("ja", intent="affirm") == [
        "utter_signing_code_sent",
        "utter_ask_signature_code_or_login",
    ]
    assert talk.say("mit bundid", intent="sign_with_bundid") == ["utter_signing_link"]
    (session,) = portal.sessions.values()
    portal.finish(session["id"], failure="cancelled")
    # Cancelled at the IdP: nothing signed, the choice again; the code still signs.
    assert finished(talk, session["id"]) == [
        "utter_signing_cancelled",
        "utter_ask_signature_code_or_login",
    ]
    assert portal.mandates["m1"]["status"] == "pending_signature"
    assert talk.say(CODE) == ["utter_payment_done"]
    assert portal.mandates["m1"]["status"] == "active"


def test_a_name_mismatch_creates_nothing_and_ends_the_form(portal: FakePortal) -> None:
    talk = consented(portal, ["bundid"])
    talk.say("ja", intent="affirm")
    (session,) = portal.sessions.values()
    portal.finish(session["id"], failure="name_mismatch")
    assert finished(talk, session["id"]) == ["utter_signing_name_mismatch"]
    assert talk.message("utter_signing_name_mismatch")["account_holder"] == "Erika Mustermann"
    assert portal.mandates["m1"]["status"] == "pending_signature"
    assert not talk.active
    assert talk.slots["mandate_reference"] is None


def test_too_low_a_level_and_an_expired_link_offer_a_new_one(portal: FakePortal) -> None:
    talk = consented(portal, ["bundid"])
    talk.say("ja", intent="affirm")
    first = next(iter(portal.sessions))
    portal.finish(first, failure="level_too_low")
    assert finished(talk, first) == ["utter_signing_level_too_low", "utter_ask_login"]
    assert talk.say("neuer link", intent="sign_with_bundid") == ["utter_signing_link"]
    second = list(portal.sessions)[-1]
    assert second != first
    # The citizen never logged in: the link expired. "fertig" asks the portal, not the message.
    portal.finish(second, failure="expired")
    assert talk.say("fertig", intent="signing_finished") == [
        "utter_signing_expired",
        "utter_ask_login",
    ]
    assert talk.active and talk.slots["signing_session_id"] is None
    assert portal.mandates["m1"]["status"] == "pending_signature"


def test_a_login_still_open_or_for_another_subject_changes_nothing(portal: FakePortal) -> None:
    talk = consented(portal, ["bundid"])
    talk.say("ja", intent="affirm")
    (session,) = portal.sessions.values()
    assert talk.say("fertig", intent="signing_finished") == ["utter_signing_waiting"]
    # A completed login of another mandate named in the trigger is not this one's signature.
    portal.mandates["m9"] = {**portal.mandates["m1"], "id": "m9"}
    portal.sessions["other"] = {**session, "id": "other", "subject_id": "m9"}
    portal.finish("other")
    assert finished(talk, "other") == ["utter_signing_waiting"]
    assert portal.mandates["m1"]["status"] == "pending_signature"
    assert talk.active


def test_revocation_by_someone_else_is_refused(portal: FakePortal) -> None:
    portal.mandates["m1"] = {
        "id": "m1",
        "status": "active",
        "iban_masked": "DE89 **** **** **** **30 00",
        "kassenzeichen": "4100.2026.0001",
        "mandate_reference": "4100.2026.0001-01",
    }
    portal.invoices["4100.2026.0001"].update(payment_state="direct_debit", active_mandate_id="m1")
    portal.revoke_needs_login = True
    talk = Conversation(ValidateRevokeMandateForm(), ActionPaymentSubmit())
    talk.say("4100.2026.0001 48,00", kassenzeichen="4100.2026.0001", amount="48,00")
    assert talk.say("ja", intent="affirm") == ["utter_login_link_revoke"]
    (session,) = portal.sessions.values()
    assert talk.say("hallo", intent="greet") == ["utter_login_waiting"]
    portal.finish(session["id"], failure="name_mismatch")
    assert finished(talk, session["id"]) == ["utter_revoke_not_entitled"]
    assert portal.mandates["m1"]["status"] == "active"
    assert not talk.active
