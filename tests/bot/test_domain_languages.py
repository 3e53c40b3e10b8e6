"""Every response exists in German and English; every contract intent has enough NLU data."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

ROOT = Path(__file__).resolve().parents[2]
CONTRACT_INTENTS = [
    "greet",
    "goodbye",
    "affirm",
    "deny",
    "thank",
    "bot_challenge",
    "help",
    "human_handoff",
    "out_of_scope",
    "cancel",
    "change_language",
    "inform",
    "pay_invoice",
    "invoice_question",
    "revoke_mandate",
    "request_certificate",
    "bulky_waste",
    "report_issue",
    "book_appointment",
    "register_dog",
    "check_status",
    "faq",
]
CONTRACT_ENTITIES = "iban kassenzeichen amount email person_name certificate_type reference date"
EN = {"type": "slot", "name": "language", "value": "en"}


def domain() -> dict[str, Any]:
    merged: dict[str, Any] = {"intents": [], "entities": [], "responses": {}}
    for path in sorted((ROOT / "bot" / "domain").glob("*.yml")):
        part = yaml.safe_load(path.read_text(encoding="utf-8"))
        merged["intents"] += part.get("intents", [])
        merged["entities"] += part.get("entities", [])
        merged["responses"].update(part.get("responses", {}))
    return merged


RESPONSES = sorted(domain()["responses"].items())


@pytest.mark.parametrize(("name", "variations"), RESPONSES, ids=[name for name, _ in RESPONSES])
def test_every_response_has_a_german_default_and_an_english_variation(
    name: str, variations: list[dict[str, Any]]
) -> None:
    english = [v for v in variations if EN in (v.get("condition") or [])]
    default = [v for v in variations if not v.get("condition")]
    assert english, f"{name} has no English variation"
    assert default, f"{name} has no German default variation"
    for variation in english + default:
        assert variation.get("text") or variation.get("custom"), f"{name} has an empty variation"


def test_domain_has_the_contract_intents_and_entities() -> None:
    merged = domain()
    assert set(CONTRACT_INTENTS) <= set(merged["intents"])
    assert set(CONTRACT_ENTITIES.split()) <= set(merged["entities"])


def intent_counts(path: Path) -> Counter[str]:
    data = RasaYAMLReader().read(path)
    return Counter(str(m.get("intent")) for m in data.intent_examples)


def nlu_counts(folder: Path, language: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for path in sorted(folder.rglob("*.yml")):
        if path.stem == language or language in path.parts:
            counts += intent_counts(path)
    return counts


@pytest.mark.parametrize(("language", "minimum"), [("de", 25), ("en", 10)])
def test_every_intent_has_enough_training_examples(language: str, minimum: int) -> None:
    counts = nlu_counts(ROOT / "data" / "nlu", language)
    thin = {intent: counts[intent] for intent in CONTRACT_INTENTS if counts[intent] < minimum}
    assert not thin, f"{language}: fewer than {minimum} examples: {thin}"


@pytest.mark.parametrize("language", ["de", "en"])
def test_every_intent_has_held_out_examples(language: str) -> None:
    counts = intent_counts(ROOT / "tests" / "nlu" / f"{language}.yml")
    thin = {intent: counts[intent] for intent in CONTRACT_INTENTS if counts[intent] < 8}
    assert not thin, f"{language}: fewer than 8 held-out examples: {thin}"


def normalised(path: Path) -> set[str]:
    data = RasaYAMLReader().read(path)
    return {" ".join(str(m.get("text")).lower().split()) for m in data.intent_examples}


def test_held_out_examples_are_not_in_the_training_data() -> None:
    training: set[str] = set()
    for path in (ROOT / "data" / "nlu").rglob("*.yml"):
        training |= normalised(path)
    for language in ("de", "en"):
        shared = normalised(ROOT / "tests" / "nlu" / f"{language}.yml") & training
        assert not shared, f"held-out {language} examples also used for training: {shared}"
