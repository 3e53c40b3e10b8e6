from __future__ import annotations

import asyncio
import json

import pytest
from payment_fake_portal import CODE, FakePortal
from payment_harness import Conversation

from actions import iban_vault
from actions.payment.common import mandate_slot
from actions.payment.finish import ActionPaymentCancel, ActionPaymentSubmit
from actions.payment.form import ValidatePaymentForm

IBAN = "DE89 3704 0044 0532 0130 00"
IBAN_DIGITS = "370400440532013000"
MASKED = "DE89 **** **** **** **30 00"


def start(language: str = "de") -> Conversation:
    return Conversation(ValidatePaymentForm(), ActionPaymentSubmit(), language=language)


def pay(conversation: Conversation, iban: str = IBAN) -> None:
    conversation.say(
        "Kassenzeichen 4100.2026.0001, 48,00 Euro",
        kassenzeichen="4100.2026.0001",
        amount="48,00",
    )
    conversation.say("Erika Mustermann", person_name="Erika Mustermann")
    conversation.say(iban.lower(), iban=iban)
    conversation.say("erika@example.de", email="erika@example.de")


def test_happy_path_in_german(portal: FakePortal) -> None:
    talk = start()
    first = talk.say(
        "Kassenzeichen 4100.2026.0001, 48,00 Euro", kassenzeichen="4100.2026.0001", amount="48,00"
    )
    assert first == ["utter_invoice_found", "utter_ask_account_holder"]
    found = talk.message("utter_invoice_found")
    assert (found["purpose"], found["amount"], found["due_date"]) == (
        "Hundesteuer 2026",
        "48,00 €",
        "15.12.2026",
    )
    assert talk.say("Mein Name ist Erika Mustermann") == ["utter_ask_iban"]
    assert talk.slots["account_holder"] == "Erika Mustermann"
    assert talk.say("de89.3704.0044.0532.0130.00") == ["utter_iban_accepted", "utter_ask_email"]
    assert talk.message("utter_iban_accepted")["iban"] == MASKED
    assert talk.say("erika@example.de") == ["utter_mandate_consent_question"]
    consent = talk.message("utter_mandate_consent_question")
    assert "Ich ermächtige Universitätsstadt Marburg" in consent["mandate_text"]
    assert "DE98ZZZ09999999999" in consent["mandate_text"]
    assert "acht Wochen" in consent["mandate_text"]
    assert portal.created() == []  # nothing exists before the explicit yes
    assert talk.say("ja", intent="affirm") == [
        "utter_signing_code_sent",
        "utter_ask_signature_code",
    ]
    assert len(portal.created()) == 1
    assert talk.say(CODE) == ["utter_payment_done"]
    done = talk.message("utter_payment_done")
    assert done["mandate_reference"] == "4100.2026.0001-01"
    assert done["first_collection"] == "15.12.2026"
    assert done["document_url"].endswith("/api/v1/mandates/m1/document")
    assert talk.user_messages <= 10
    assert all(value is None for name, value in talk.slots.items() if name != "language")


def test_the_portal_gets_the_clear_iban_but_no_slot_ever_holds_it(portal: FakePortal) -> None:
    talk = start()
    pay(talk)
    talk.say("ja", intent="affirm")
    talk.say(CODE)
    body = portal.created()[0]
    assert body["iban"] == IBAN.replace(" ", "")
    assert body["amount"] == "48.00" and body["kassenzeichen"] == "4100.2026.0001"
    assert body["consent_text_version"] == "sepa-mandate-2026-1"
    assert body["channel"] == "rest"
    dumped = json.dumps(talk.slot_events) + json.dumps(talk.bot, default=str)
    assert IBAN_DIGITS not in dumped
    assert "0532 0130" not in dumped


def test_english_happy_path(portal: FakePortal) -> None:
    talk = start("en")
    pay(talk)
    assert talk.message("utter_invoice_found")["amount"] == "€48.00"
    assert talk.message("utter_invoice_found")["due_date"] == "15 December 2026"
    assert "I authorise" in talk.message("utter_mandate_consent_question")["mandate_text"]
    talk.say("yes", intent="affirm")
    assert talk.say("123 456") == ["utter_payment_done"]


def test_values_in_any_order_and_several_at_once(portal: FakePortal) -> None:
    talk = start()
    replies = talk.say(
        f"Ich bin Erika Mustermann, IBAN {IBAN}, Kassenzeichen 4100 2026 0001",
        intent="pay_invoice",
        kassenzeichen="4100 2026 0001",
        person_name="Erika Mustermann",
    )
    assert replies == ["utter_iban_accepted", "utter_ask_invoice_amount"]
    assert talk.slots["kassenzeichen"] == "4100.2026.0001"
    assert talk.slots["iban"] == MASKED
    assert talk.say("48 Euro") == ["utter_invoice_found", "utter_ask_email"]


def test_a_miss_does_not_say_which_value_was_wrong_and_three_send_to_a_person(
    portal: FakePortal,
) -> None:
    talk = start()
    wrong_amount = talk.say(
        "4100.2026.0001 49,00 Euro", kassenzeichen="4100.2026.0001", amount="49,00"
    )
    wrong_number = talk.say(
        "4100.2026.0002 48,00 Euro", kassenzeichen="4100.2026.0002", amount="48,00"
    )
    assert wrong_amount == wrong_number == ["utter_invoice_not_found", "utter_ask_kassenzeichen"]
    third = talk.say("4100.2026.0003 48,00 Euro", kassenzeichen="4100.2026.0003", amount="48,00")
    assert third == ["utter_invoice_not_found_human"]
    assert talk.message("utter_invoice_not_found_human")["phone"]
    assert not talk.active


@pytest.mark.parametrize(
    ("typed", "response", "values"),
    [
        (
            "DE89 3704 0044 0532 0130 0",
            "utter_invalid_iban_wrong_length",
            {"country": "DE", "expected_length": 22, "actual_length": 21},
        ),
        ("DE89 3704 0044 0532 0130 01", "utter_invalid_iban_checksum", {}),
        ("TR33 0006 1005 1978 6457 8413 26", "utter_invalid_iban_not_sepa", {"country": "TR"}),
        ("XX89 3704 0044 0532 0130 00", "utter_invalid_iban_unknown_country", {"country": "XX"}),
        ("3704 0044 0532 0130 00", "utter_invalid_iban_unknown_country", {}),
    ],
)
def test_the_citizen_hears_the_specific_iban_problem(
    portal: FakePortal, typed: str, response: str, values: dict[str, object]
) -> None:
    talk = start()
    talk.say("4100.2026.0001 48,00", kassenzeichen="4100.2026.0001", amount="48,00")
    talk.say("Erika Mustermann", person_name="Erika Mustermann")
    assert talk.say(typed) == [response, "utter_ask_iban"]
    message = talk.message(response)
    assert {key: message[key] for key in values} == values
    assert talk.slots["iban"] is None and talk.slots["iban_token"] is None


def test_swiss_iban_asks_for_bic_and_address(portal: FakePortal) -> None:
    talk = start()
    talk.say("4100.2026.0001 48,00", kassenzeichen="4100.2026.0001", amount="48,00")
    talk.say("Erika Mustermann", person_name="Erika Mustermann")
    assert talk.say("CH93 0076 2011 6238 5295 7") == ["utter_iban_accepted", "utter_ask_debtor_bic"]
    assert talk.say("UBSWCHZH80A") == ["utter_ask_debtor_address"]
    assert talk.say("Bahnhofstrasse 1, 8001 Zürich") == ["utter_ask_email"]
    talk.say("erika@example.ch")
    talk.say("ja", intent="affirm")
    body = portal.created()[0]
    assert body["bic"] == "UBSWCHZH80A"
    assert body["debtor_address"] == {
        "street": "Bahnhofstrasse 1",
        "postcode": "8001",
        "city": "Zürich",
        "country": "CH",
    }


def test_two_misses_on_one_question_explain_and_offer_to_stop(portal: FakePortal) -> None:
    talk = start()
    talk.say("4100.2026.0001 48,00", kassenzeichen="4100.2026.0001", amount="48,00")
    talk.say("Erika Mustermann", person_name="Erika Mustermann")
    talk.say(IBAN, iban=IBAN)
    assert talk.say("erika at example") == ["utter_invalid_email", "utter_ask_email"]
    assert talk.say("erika@example") == [
        "utter_explain_email",
        "utter_form_summary",  # what is there, what is missing, how to stop or reach a person
        "utter_ask_email",
    ]
    assert talk.say("erika@example.de") == ["utter_mandate_consent_question"]
    assert "email" not in (talk.slots["payment_failures"] or {})


def test_an_iban_written_after_its_country_code_fills_no_kassenzeichen(
    portal: FakePortal,
) -> None:
    # "MT 84MALT 0110 0001 2345 …" is shaped like "KZ 4100 2026 0001 …" (a country code apart,
    # then digits), but Malta is SEPA: the message is the IBAN, and "0110 0001 2345" is none
    # of the Kassenzeichen's business.
    talk = start()
    talk.say("Kassenzeichen 4100.2026.0001, 48,00 Euro", kassenzeichen="4100.2026.0001")
    talk.say("Erika Mustermann", person_name="Erika Mustermann")
    assert talk.slots["requested_slot"] == "iban"
    assert talk.say("MT 84MALT 0110 0001 2345 MTLC AST0 01S") == [
        "utter_iban_accepted",
        "utter_ask_email",
    ]
    assert talk.slots["iban"] == "MT84 **** **** **** **** **** ***0 01S"
    assert talk.slots["kassenzeichen"] == "4100.2026.0001"


def test_a_value_can_be_corrected(portal: FakePortal) -> None:
    talk = start()
    pay(talk)
    assert talk.slots["requested_slot"] == "mandate_consent"
    assert talk.say("Die IBAN war falsch", intent="deny") == ["utter_ask_iban"]
    assert talk.slots["iban"] is None and talk.slots["iban_token"] is None
    assert talk.say("AT61 1904 3002 3457 3201") == [
        "utter_iban_accepted",
        "utter_mandate_consent_question",
    ]
    talk.say("ja", intent="affirm")
    assert portal.created()[0]["iban"] == "AT611904300234573201"


def test_an_iban_given_with_a_correction_replaces_the_old_one(portal: FakePortal) -> None:
    talk = start()
    pay(talk)
    talk.say("ja", intent="affirm")
    replies = talk.say("Falsche IBAN, richtig ist NL91 ABNA 0417 1643 00")
    assert replies == ["utter_iban_accepted", "utter_mandate_consent_question"]
    assert talk.slots["mandate_id"] is None
    talk.say("ja", intent="affirm")
    assert [body["iban"] for body in portal.created()] == [
        IBAN.replace(" ", ""),
        "NL91ABNA0417164300",
    ]


def test_cancel_inside_the_form_creates_nothing(portal: FakePortal) -> None:
    talk = start()
    talk.say("4100.2026.0001 48,00", kassenzeichen="4100.2026.0001", amount="48,00")
    talk.say("Erika Mustermann", person_name="Erika Mustermann")
    assert talk.say("abbrechen", intent="cancel") == ["<rejected>"]
    assert talk.act(ActionPaymentCancel(), "abbrechen", "cancel") == ["utter_payment_cancelled"]
    assert not talk.active
    assert portal.created() == []
    assert all(value is None for name, value in talk.slots.items() if name != "language")


def test_declining_the_mandate_stops_with_nothing_created(portal: FakePortal) -> None:
    talk = start()
    pay(talk)
    assert talk.say("nein", intent="deny") == ["utter_mandate_declined"]
    assert not talk.active
    assert portal.created() == []


def test_only_affirm_gives_consent(portal: FakePortal) -> None:
    talk = start()
    pay(talk)
    assert talk.say("vielleicht", intent="nlu_fallback") == ["<rejected>"]
    assert portal.created() == []


def test_a_wrong_code_says_how_many_tries_remain(portal: FakePortal) -> None:
    talk = start()
    pay(talk)
    talk.say("ja", intent="affirm")
    assert talk.say("111111") == ["utter_signing_code_wrong", "utter_ask_signature_code"]
    assert talk.message("utter_signing_code_wrong")["attempts_left"] == 2
    talk.say("222222")
    assert talk.say("333333") == ["utter_signing_code_exhausted"]
    assert not talk.active
    assert portal.mandates["m1"]["status"] == "rejected"


def test_a_malformed_code_is_not_sent_to_the_portal(portal: FakePortal) -> None:
    talk = start()
    pay(talk)
    talk.say("ja", intent="affirm")
    before = len(portal.requests)
    assert talk.say("12345") == ["utter_invalid_signature_code", "utter_ask_signature_code"]
    assert len(portal.requests) == before


def test_retrying_the_consent_turn_creates_no_second_mandate(portal: FakePortal) -> None:
    talk = start()
    pay(talk)
    saved_slots = dict(talk.slots)
    talk.say("ja", intent="affirm")
    talk.slots = saved_slots  # the action server's answer was lost; Rasa runs the turn again
    talk.say("ja", intent="affirm")
    assert len(portal.mandates) == 1
    keys = [
        r.headers["Idempotency-Key"] for r in portal.requests if r.url.path.endswith("mandates")
    ]
    assert len(keys) == 2 and keys[0] == keys[1]
    assert IBAN_DIGITS not in keys[0]


def test_portal_down_says_nothing_was_created(portal: FakePortal) -> None:
    portal.down = True
    talk = start()
    replies = talk.say("4100.2026.0001 48,00", kassenzeichen="4100.2026.0001", amount="48,00")
    assert replies == ["utter_payment_unavailable"]
    assert talk.message("utter_payment_unavailable")["phone"]
    assert not talk.active


def test_throttled_lookup_asks_to_wait(portal: FakePortal) -> None:
    portal.throttle_after = 0
    talk = start()
    replies = talk.say("4100.2026.0001 48,00", kassenzeichen="4100.2026.0001", amount="48,00")
    assert replies == ["utter_portal_throttled"]
    assert talk.message("utter_portal_throttled")["minutes"] == 10


def test_a_conversation_over_its_limit_is_told_so(portal: FakePortal) -> None:
    portal.throttle_after = 0
    portal.throttle_limit = "client"
    talk = start()
    replies = talk.say("4100.2026.0001 48,00", kassenzeichen="4100.2026.0001", amount="48,00")
    assert replies == ["utter_lookup_throttled_client"]
    # the lookup named the conversation, so the portal counts its failures
    lookups = [r for r in portal.requests if r.url.path == "/api/v1/invoices/lookup"]
    assert lookups and all(r.headers.get("X-Client-Id") for r in lookups)


def test_a_paid_invoice_needs_no_mandate(portal: FakePortal) -> None:
    portal.add_invoice("4100.2026.0002", "60.00", payment_state="paid")
    talk = start()
    replies = talk.say("4100.2026.0002 60,00", kassenzeichen="4100.2026.0002", amount="60,00")
    assert replies == ["utter_invoice_found", "utter_invoice_already_paid"]
    assert not talk.active


def test_an_expired_iban_token_asks_for_the_iban_again(
    portal: FakePortal, monkeypatch: pytest.MonkeyPatch
) -> None:
    talk = start()
    pay(talk)
    monkeypatch.setenv(iban_vault.KEY_VARIABLE, iban_vault.generate_key())  # token unreadable
    assert talk.say("ja", intent="affirm") == ["utter_iban_expired", "utter_ask_iban"]
    assert portal.created() == []


def test_an_expired_code_gets_a_new_one(portal: FakePortal) -> None:
    talk = start()
    pay(talk)
    talk.say("ja", intent="affirm")
    portal.mandates["m1"]["expired"] = True
    assert talk.say(CODE) == ["utter_signing_code_resent", "utter_ask_signature_code"]
    assert talk.say(CODE) == ["utter_payment_done"]


def test_slot_values_survive_the_tracker_store_masking(portal: FakePortal) -> None:
    from bot.redaction import redact

    hex_id = "ab12cd34ef56ab12cd34ef56ab12cd34"  # shaped like an IBAN, as uuid4().hex can be
    talk = start()
    pay(talk)
    talk.say("ja", intent="affirm")
    for name, value in talk.slots.items():
        assert redact(value) == value, name
    assert redact(mandate_slot(hex_id)) == mandate_slot(hex_id)
    assert redact(hex_id) == hex_id  # ids far from any IBAN length are left alone


def test_a_new_value_after_the_code_was_sent_needs_a_new_consent(portal: FakePortal) -> None:
    talk = start()
    pay(talk)
    talk.say("ja", intent="affirm")
    assert talk.slots["mandate_id"] == mandate_slot("m1")
    replies = talk.say("Neue Adresse: erika.neu@example.de", email="erika.neu@example.de")
    assert replies == ["utter_mandate_consent_question"]
    assert talk.slots["mandate_id"] is None and talk.slots["mandate_consent"] is None
    talk.say("ja", intent="affirm")
    talk.say(CODE)
    assert [body["email"] for body in portal.created()] == [
        "erika@example.de",
        "erika.neu@example.de",
    ]
    assert portal.mandates["m2"]["status"] == "active"
    assert portal.mandates["m1"]["status"] == "pending_signature"


def test_an_iban_typed_for_another_question_never_lands_in_that_slot(portal: FakePortal) -> None:
    talk = start()
    talk.say("4100.2026.0001 48,00", kassenzeichen="4100.2026.0001", amount="48,00")
    assert talk.say(IBAN) == ["utter_iban_accepted", "utter_ask_account_holder"]
    assert talk.slots["account_holder"] is None
    assert talk.slots["iban"] == MASKED


def test_a_new_run_forgets_what_an_earlier_stopped_run_left(portal: FakePortal) -> None:
    talk = start()
    talk.slots.update(payment_stop="declined", kassenzeichen="4100.2026.0009", iban=MASKED)
    talk.activating = True
    replies = talk.say(
        "Ich möchte 4100.2026.0001 mit 48,00 Euro per Lastschrift bezahlen",
        intent="pay_invoice",
        kassenzeichen="4100.2026.0001",
        amount="48,00",
    )
    assert replies == ["utter_invoice_found", "utter_ask_account_holder"]
    assert talk.slots["payment_stop"] is None and talk.slots["iban"] is None


@pytest.mark.parametrize("confidence", [0.3, 0.79])
def test_an_unsure_yes_creates_no_mandate(portal: FakePortal, confidence: float) -> None:
    """Junk such as "jjj" can land on `affirm` with middling confidence: ask again instead."""
    talk = start()
    pay(talk)
    talk.confidence = confidence
    # The form does not take the answer (Rasa then asks the consent question again).
    assert talk.say("jjjj", intent="affirm") == ["<rejected>"]
    assert portal.mandates == {}
    talk.confidence = 1.0
    assert talk.say("ja", intent="affirm") == [
        "utter_signing_code_sent",
        "utter_ask_signature_code",
    ]
    assert len(portal.mandates) == 1


def handles_in(talk: Conversation) -> list[str]:
    """Every IBAN handle the conversation's history ever held (each slot event)."""
    return [e["value"] for e in talk.slot_events if e["name"] == "iban_token" and e["value"]]


def opens(handle: str) -> bool:
    try:
        asyncio.run(iban_vault.open(handle))
    except iban_vault.TokenInvalid:
        return False
    return True


def test_after_signing_no_handle_in_the_history_opens_anything(portal: FakePortal) -> None:
    talk = start()
    pay(talk)
    talk.say("Die IBAN war falsch", intent="deny")  # a first IBAN, corrected
    talk.say("AT61 1904 3002 3457 3201")
    held = handles_in(talk)
    assert len(held) == 2 and opens(held[-1]) and not opens(held[0])  # the replaced one is gone
    talk.say("ja", intent="affirm")
    assert opens(held[-1])  # until the form ends (Rasa may retry the consent turn)
    assert talk.say(CODE) == ["utter_payment_done"]
    assert held and not any(opens(handle) for handle in handles_in(talk))


def test_after_cancelling_no_handle_in_the_history_opens_anything(portal: FakePortal) -> None:
    talk = start()
    pay(talk)
    talk.say("ja", intent="affirm")
    held = handles_in(talk)
    assert held and opens(held[-1])
    talk.act(ActionPaymentCancel(), "abbrechen", "cancel")
    assert not any(opens(handle) for handle in held)


def test_a_handle_left_by_an_abandoned_run_is_deleted_when_a_new_run_starts(
    portal: FakePortal,
) -> None:
    talk = start()
    pay(talk)
    left = handles_in(talk)[-1]
    assert opens(left)
    # the citizen went elsewhere; the form starts again later in the same conversation
    again = start()
    again.slots.update(talk.slots)
    again.activating = True
    again.say("4100.2026.0001 48,00", kassenzeichen="4100.2026.0001", amount="48,00")
    assert not opens(left)


def test_a_lost_handle_asks_for_the_iban_again(portal: FakePortal) -> None:
    # an action server without Redis restarted between two turns: its memory is empty
    talk = start()
    pay(talk)
    asyncio.run(iban_vault.discard(talk.slots["iban_token"]))
    assert talk.say("ja", intent="affirm") == ["utter_iban_expired", "utter_ask_iban"]
    assert portal.created() == []
    assert talk.slots["iban_token"] is None
