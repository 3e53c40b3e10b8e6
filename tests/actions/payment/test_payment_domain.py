"""The responses the payment actions send exist in bot/domain/payment.yml, in both languages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.payment import common

ROOT = Path(__file__).resolve().parents[3]
DOMAIN = yaml.safe_load((ROOT / "bot" / "domain" / "payment.yml").read_text(encoding="utf-8"))
RESPONSES: dict[str, list[dict[str, Any]]] = DOMAIN["responses"]
EN = [{"type": "slot", "name": "language", "value": "en"}]


def used_in_code() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "actions" / "payment").glob("*.py"):
        names |= set(re.findall(r'"(utter_[a-z_]+)"', path.read_text(encoding="utf-8")))
    names |= {f"utter_explain_{slot}" for slot in (*common.FORM_SLOTS, *common.NON_EEA_SLOTS)}
    names -= {"utter_explain_mandate_consent"}  # consent is yes/no: nothing to explain
    names |= {common.failure_response(slot, code) for slot, code in common.SPECIFIC_MESSAGES}
    slots = ("kassenzeichen", "invoice_amount", "account_holder", "iban", "email")
    names |= {f"utter_invalid_{slot}" for slot in (*slots, "signature_code", *common.NON_EEA_SLOTS)}
    return names


@pytest.mark.parametrize("name", sorted(used_in_code()))
def test_every_response_the_code_sends_exists(name: str) -> None:
    assert name in RESPONSES


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_every_response_has_german_default_and_english_variation(name: str) -> None:
    variations = RESPONSES[name]
    assert len(variations) == 2
    assert [v.get("condition") for v in variations] == [EN, None]
    german, english = variations[1], variations[0]
    assert german["text"] != english["text"]
    placeholders = [set(re.findall(r"{(\w+)}", v["text"])) for v in variations]
    assert placeholders[0] == placeholders[1], "both languages fill the same values"
    assert len(german.get("buttons", [])) == len(english.get("buttons", []))


def test_form_slots_are_the_contract_slots_with_custom_mappings_only() -> None:
    assert tuple(DOMAIN["forms"]["payment_form"]["required_slots"]) == common.FORM_SLOTS
    for name, slot in DOMAIN["slots"].items():
        assert slot["mappings"] == [{"type": "custom"}], name
        assert slot["influence_conversation"] is False, name
    # The login's slots are shared with the certificate order, so they live in signing.yml.
    signing = yaml.safe_load((ROOT / "bot" / "domain" / "signing.yml").read_text(encoding="utf-8"))
    assert set(common.ALL_SLOTS) == set(DOMAIN["slots"]) | set(signing["slots"])
