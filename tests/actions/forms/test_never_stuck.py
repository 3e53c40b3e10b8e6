"""Never silent, never stuck (issue 17, point 2): every form, every slot, every intent.

Each form is brought to each of its questions; there it gets one message per intent (the first
German and English examples of ``data/nlu``) and random text. Each message must be answered
without an exception: either the form takes it (values, a refusal that says what was wrong, or
the question again) or it hands it back to Rasa (no event), where a rule of ``data/rules``
answers that intent. Random text sent again and again must end the form (or be handed back)
before ``MAX_REPEATS + 1`` messages, with the summary of what was understood on the way.
"""

from __future__ import annotations

import asyncio
import copy
import random
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Action

from actions import forms as form_base_module
from actions import iban_vault
from actions.forms import MAX_REPEATS
from actions.payment.finish import ActionPaymentSubmit
from actions.payment.form import ValidatePaymentForm
from actions.payment.questions import (
    ActionInvoiceFlowEnd,
    ValidateInvoiceQuestionForm,
    ValidateRevokeMandateForm,
)
from actions.services import forms as service_forms
from actions.services.feedback import ActionFeedbackDone, ValidateFeedbackForm
from actions.services.submit import ActionSubmitServiceRequest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path[:0] = [str(HERE.parent / "payment"), str(HERE.parent / "services")]

from payment_fake_portal import FakePortal  # noqa: E402
from payment_harness import Conversation, parsed_yaml  # noqa: E402

DOMAIN_FILES = ("core", "forms", "payment", "services")


def merged_domain() -> dict[str, Any]:
    domain: dict[str, Any] = {"slots": {}, "responses": {}, "forms": {}}
    for name in DOMAIN_FILES:
        raw = parsed_yaml(ROOT / "bot" / "domain" / f"{name}.yml")
        for key in ("slots", "responses", "forms"):
            domain[key].update(raw.get(key) or {})
    return copy.deepcopy(domain)


def intent_examples() -> list[tuple[str, str]]:
    """(intent, text): the first two examples of every intent, German and English."""
    found: list[tuple[str, str]] = []
    for language in ("de", "en"):
        raw = yaml.safe_load((ROOT / "data" / "nlu" / f"{language}.yml").read_text("utf-8"))
        for block in raw["nlu"]:
            if "intent" not in block:
                continue
            lines = [line[2:] for line in block["examples"].splitlines() if line.startswith("- ")]
            for line in lines[:2]:
                found.append((block["intent"], re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line)))
    return found


def rule_intents() -> set[str]:
    """Intents a rule answers (a message the form hands back is answered there)."""
    intents: set[str] = set()
    for path in (ROOT / "data" / "rules").glob("*.yml"):
        for rule in yaml.safe_load(path.read_text("utf-8"))["rules"]:
            intents.update(step["intent"] for step in rule["steps"] if "intent" in step)
    return intents


def random_texts(count: int) -> list[str]:
    rng = random.Random(17)
    alphabet = "abcdefghijklmnopqrstuvwxyzäöüß0123456789 .,!?€-"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(count)]
    return [*texts, "äh", "???", "keine ahnung", "weiß nicht", "hä was", "12", "ok und jetzt"]


EXAMPLES = intent_examples()
RANDOM = random_texts(6)
RULES = rule_intents()

# A value for every question, so each form can be brought to each of its questions.
PAYMENT_PATH = [
    ("Kassenzeichen 4100.2026.0001, 48,00 Euro", "inform"),
    ("Erika Mustermann", "inform"),
    ("DE89 3704 0044 0532 0130 00", "inform"),
    ("erika@example.de", "inform"),
    ("ja", "affirm"),
]
INVOICE_PATH = [("4100.2026.0002 60,00", "inform")]


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePortal]:
    from actions.portal_client import set_portal_client

    monkeypatch.setenv(iban_vault.KEY_VARIABLE, iban_vault.generate_key())
    monkeypatch.setenv("CREDITOR_NAME", "Universitätsstadt Marburg")
    monkeypatch.setenv("CREDITOR_ID", "DE98ZZZ09999999999")
    portal = FakePortal()
    portal.add_invoice("4100.2026.0001", "48.00")
    portal.add_invoice("4100.2026.0002", "60.00", active_mandate_id="m0")
    portal.mandates["m0"] = {
        "id": "m0",
        "status": "active",
        "mandate_reference": "4100.2026.0002-01",
        "iban_masked": "DE89 **** 3000",
        "kassenzeichen": "4100.2026.0002",
    }
    set_portal_client(portal.client())
    yield portal
    set_portal_client(None)


def conversation(form: Action, done: Action) -> Conversation:
    # every slot of the whole domain, empty; the language German (Conversation's default)
    return Conversation(form, done, domain=merged_domain())


def invoice_forms() -> list[tuple[str, Action, Action, list[tuple[str, str]]]]:
    return [
        ("payment_form", ValidatePaymentForm(), ActionPaymentSubmit(), PAYMENT_PATH),
        ("invoice_question_form", ValidateInvoiceQuestionForm(), ActionInvoiceFlowEnd(), []),
        ("revoke_mandate_form", ValidateRevokeMandateForm(), ActionInvoiceFlowEnd(), INVOICE_PATH),
    ]


# Values as the checks keep them, for the questions before the one probed.
PREFILLED: dict[str, Any] = {
    "certificate_type": "geburtsurkunde",
    "certificate_event_date": "1990-03-12",
    "certificate_copies": 1,
    "certificate_address": "Markt 1, 35037 Marburg",
    "waste_address": "Markt 1, 35037 Marburg",
    "waste_items": ["Sofa"],
    "waste_pickup_date": "2026-12-08",
    "issue_category": "pothole",
    "issue_location": "Markt 1, 35037 Marburg",
    "dog_acquired_on": "2026-11-01",
    "appointment_service": "id_card",
    "appointment_slot": "id_card-20261201T0815",
    "appointment_email": "erika@example.de",
    "feedback_rating": "up",
}

SERVICE_FORMS: list[tuple[Action, Action]] = [
    (service_forms.ValidateCertificateForm(), ActionSubmitServiceRequest()),
    (service_forms.ValidateBulkyWasteForm(), ActionSubmitServiceRequest()),
    (service_forms.ValidateReportIssueForm(), ActionSubmitServiceRequest()),
    (service_forms.ValidateRegisterDogForm(), ActionSubmitServiceRequest()),
    (service_forms.ValidateBookAppointmentForm(), ActionSubmitServiceRequest()),
    (ValidateFeedbackForm(), ActionFeedbackDone()),
]


def probe(talk: Conversation, text: str, intent: str) -> None:
    """One message at the pending question: answered, and without an exception."""
    trial = copy.deepcopy(talk)
    before = len(trial.bot)
    trial.say(text, intent)
    said = [m.get("response") for m in trial.bot[before:]]
    assert said, (talk.form_name, talk.slots.get("requested_slot"), text)
    if said == ["<rejected>"]:
        assert intent in RULES, f"{intent!r} handed back but no rule answers it"


def no_loop(talk: Conversation, text: str) -> None:
    """The same unusable text again and again ends in a summary and a stop, never a loop."""
    trial = copy.deepcopy(talk)
    said: list[str] = []
    for _ in range(MAX_REPEATS + 1):
        if not trial.active:
            break
        replies = trial.say(text, "nlu_fallback")
        said.extend(replies)
        if replies == ["<rejected>"]:
            return  # handed back: the fallback rule answers it
    asked = talk.slots.get("requested_slot")
    assert not trial.active or trial.slots.get("requested_slot") != asked, (talk.form_name, said)


def walk(talk: Conversation, path: list[tuple[str, str]]) -> Iterator[Conversation]:
    """The conversation at each of its questions along a path of answers."""
    yield talk
    for text, intent in path:
        talk.say(text, intent)
        if not talk.active:
            return
        yield talk


@pytest.mark.parametrize("case", invoice_forms(), ids=lambda case: case[0])
def test_invoice_forms_answer_every_message_at_every_question(case: Any) -> None:
    name, form, done, path = case
    talk = conversation(form, done)
    talk.say("", "inform")  # the form asks its first question
    reached = 0
    for state in walk(talk, path):
        reached += 1
        for intent, text in EXAMPLES:
            probe(state, text, intent)
        for text in RANDOM:
            probe(state, text, "nlu_fallback")
        no_loop(state, "ähm blabla")
    assert reached == len(path) + 1, f"{name} stopped before its last question"


@pytest.mark.parametrize("case", SERVICE_FORMS, ids=lambda case: case[0].name())
def test_service_forms_answer_every_message_at_every_question(case: Any) -> None:
    form, done = case
    talk = conversation(form, done)
    required = talk.required
    for index, slot in enumerate(required):
        state = copy.deepcopy(talk)
        # The questions before this one answered (values as a check would keep them).
        state.slots.update({earlier: PREFILLED.get(earlier, "x") for earlier in required[:index]})
        state.slots["requested_slot"] = slot
        state.events.append({"event": "slot", "name": "requested_slot", "value": slot})
        for intent, text in EXAMPLES:
            probe(state, text, intent)
        for text in RANDOM:
            probe(state, text, "nlu_fallback")
        no_loop(state, "ähm blabla")


def test_the_summary_says_what_is_there_and_what_is_missing() -> None:
    talk = conversation(ValidatePaymentForm(), ActionPaymentSubmit())
    talk.say("4100.2026.0001 48,00")
    talk.say("Erika Mustermann")
    assert talk.slots["requested_slot"] == "iban"
    talk.say("erika@example.de")  # a value for a later question: no progress on this one
    said = talk.say("äh", "inform")
    assert "utter_form_summary" in said
    summary = talk.message("utter_form_summary")
    assert "4100.2026.0001" in summary["understood"]
    assert "erika@example.de" in summary["understood"]
    assert summary["missing"].startswith("IBAN")
    assert summary["phone"]


def test_the_same_question_ends_with_a_person_at_the_cap() -> None:
    talk = conversation(ValidatePaymentForm(), ActionPaymentSubmit())
    talk.say("4100.2026.0001 48,00")
    talk.say("Erika Mustermann")
    said: list[str] = []
    for _ in range(MAX_REPEATS):
        said += talk.say("keine Ahnung", "inform")
    assert said.count("utter_form_summary") == MAX_REPEATS - 2
    assert "utter_form_stuck" in said
    assert not talk.active
    assert talk.message("utter_form_stuck")["phone"]


def test_a_language_switch_keeps_the_form_and_asks_again() -> None:
    talk = conversation(ValidatePaymentForm(), ActionPaymentSubmit())
    talk.say("4100.2026.0001 48,00")
    asked = talk.slots["requested_slot"]
    said = talk.say("Can we continue in English? My German is not good", "change_language")
    assert talk.slots["language"] == "en"
    assert talk.active and talk.slots["requested_slot"] == asked
    assert said == [f"utter_ask_{asked}"]


def test_no_check_raises_on_the_whole_domain() -> None:
    # The forms run on the merged domain the stack loads, not only on their own file.
    assert form_base_module.fail_response("iban", "checksum", merged_domain()) == (
        "utter_invalid_iban_checksum"
    )
    assert asyncio.iscoroutinefunction(ValidatePaymentForm().run)
