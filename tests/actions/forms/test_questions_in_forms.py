"""Questions inside a form are answered in context, and the form goes on (issue 17, point 3).

The questions of the issue at the question where citizens ask them: the answer comes from
data/form_help.yml (or the service's entry in data/catalogue/services.yml), the pending question
is asked again, and no value is taken from the question.
"""

from __future__ import annotations

from typing import Any

import pytest

from actions.payment.finish import ActionPaymentSubmit
from actions.payment.form import ValidatePaymentForm
from actions.services import forms as service_forms
from actions.services.submit import ActionSubmitServiceRequest
from tests.actions.forms.test_never_stuck import (
    conversation,
    environment,  # noqa: F401  (autouse: the portal)
)

PAYMENT_STEPS = [
    ("4100.2026.0001 48,00", "inform"),
    ("Erika Mustermann", "inform"),
    ("DE89 3704 0044 0532 0130 00", "inform"),
    ("erika@example.de", "inform"),
]


def payment_at(slot: str, language: str = "de") -> Any:
    talk = conversation(ValidatePaymentForm(), ActionPaymentSubmit())
    talk.slots["language"] = language
    if slot == "invoice_amount":
        talk.say("4100.2026.0001", "inform")  # the Kassenzeichen alone: the amount is asked
    for text, intent in PAYMENT_STEPS:
        if talk.slots.get("requested_slot") == slot:
            break
        talk.say(text, intent)
    assert talk.slots.get("requested_slot") == slot
    return talk


def ask(talk: Any, text: str, intent: str) -> tuple[str, list[str]]:
    before = len(talk.bot)
    slots = dict(talk.slots)
    asked = talk.slots.get("requested_slot")
    said = talk.say(text, intent)
    texts = [str(m.get("text")) for m in talk.bot[before:] if m.get("text")]
    assert texts, (text, said)
    again = {"mandate_consent": "utter_mandate_consent_question"}.get(asked, f"utter_ask_{asked}")
    assert said[-1] == again, said  # the pending question again
    changed = {k for k, v in talk.slots.items() if slots.get(k) != v and k != "requested_slot"}
    assert not changed, changed  # nothing was taken from the question
    return texts[0], said


@pytest.mark.parametrize(
    ("slot", "question", "intent", "fact"),
    [
        ("invoice_amount", "Wo finde ich das Kassenzeichen?", "faq", "oben auf Ihrem Bescheid"),
        ("iban", "Was ist eine IBAN?", "nlu_fallback", "Bankkarte"),
        ("iban", "Wann wird abgebucht?", "invoice_question", "14 Tage"),
        ("iban", "wie oft wird das abgebucht", "invoice_question", "Fälligkeitstermin"),
        ("email", "Warum brauchen Sie meine E-Mail?", "out_of_scope", "Code"),
        ("mandate_consent", "Kann ich das Mandat widerrufen?", "revoke_mandate", "acht Wochen"),
        ("mandate_consent", "Ist das sicher?", "affirm", "verschlüsselt"),
        ("mandate_consent", "bekomme ich mein Geld zurück?", "faq", "erstatten"),
    ],
)
def test_payment_questions_are_answered_and_the_form_goes_on(
    slot: str, question: str, intent: str, fact: str
) -> None:
    talk = payment_at(slot)
    answer, _ = ask(talk, question, intent)
    assert fact in answer


def test_the_code_is_explained_at_the_code() -> None:
    talk = payment_at("mandate_consent")
    talk.say("ja", "affirm")
    assert talk.slots["requested_slot"] == "signature_code"
    answer, _ = ask(talk, "Was ist der Code?", "nlu_fallback")
    assert "6 Ziffern" in answer


def test_in_english_too() -> None:
    talk = payment_at("iban", "en")
    answer, _ = ask(talk, "What is an IBAN and where do I find it?", "nlu_fallback")
    assert "bank card" in answer


def test_a_bare_what_does_that_mean_explains_the_pending_question() -> None:
    talk = payment_at("email")
    answer, _ = ask(talk, "hä? wozu?", "explain")
    assert "Code" in answer


def bulky(slot: str) -> Any:
    talk = conversation(service_forms.ValidateBulkyWasteForm(), ActionSubmitServiceRequest())
    talk.slots["requested_slot"] = slot
    talk.events.append({"event": "slot", "name": "requested_slot", "value": slot})
    if slot == "waste_items":
        talk.slots["waste_address"] = "Markt 1, 35037 Marburg"
    return talk


@pytest.mark.parametrize(
    ("slot", "question", "intent", "fact"),
    [
        ("waste_items", "Was darf ich zum Sperrmüll rausstellen?", "bulky_waste", "drei getrennte"),
        ("waste_address", "Was kostet das?", "faq", "Abfallgebühren"),
        ("waste_address", "Welche Unterlagen brauche ich?", "faq", "keine"),
        ("waste_items", "Wie lange dauert das?", "faq", "Vorgangsnummer"),
        ("waste_address", "Wann wird abgeholt?", "faq", "Abholtermine"),
    ],
)
def test_bulky_waste_questions_are_answered_and_the_form_goes_on(
    slot: str, question: str, intent: str, fact: str
) -> None:
    talk = bulky(slot)
    answer, _ = ask(talk, question, intent)
    assert fact in answer


def test_certificate_fee_is_the_one_of_the_certificate_asked_for() -> None:
    talk = conversation(service_forms.ValidateCertificateForm(), ActionSubmitServiceRequest())
    talk.slots.update(certificate_type="eheurkunde", requested_slot="certificate_person")
    answer, _ = ask(talk, "was kostet die urkunde?", "faq")
    assert "12 €" in answer and "Rente" not in answer  # the Eheurkunde's entry, not another


def explain(text: str, active_loop: str | None = None, language: str = "de") -> list[Any]:
    import asyncio

    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from actions.form_help import ActionExplain

    latest = {"text": text, "intent": {"name": "explain", "confidence": 0.9}, "entities": []}
    tracker = Tracker(
        "citizen-9",
        {"language": language},
        latest,
        [{"event": "user", "text": text, "parse_data": latest}],
        False,
        None,
        {"name": active_loop} if active_loop else {},
        "action_listen",
    )
    dispatcher = CollectingDispatcher()
    assert asyncio.run(ActionExplain().run(dispatcher, tracker, {})) == []
    return dispatcher.messages


def test_explain_outside_a_form_answers_by_the_words_or_lists_the_topics() -> None:
    [said] = explain("was ist eine IBAN?")
    assert "Bankkarte" in str(said["text"])
    [said] = explain("what does that mean?", language="en")
    assert said["response"] == "utter_help"


def test_explain_the_form_could_not_answer_says_how_to_go_on() -> None:
    [said] = explain("was bedeutet das?", active_loop="register_dog_form")
    assert said["response"] == "utter_explain_nothing"
    assert said["phone"]
