"""The consent texts the chat shows and the portal hashes: complete, short, two placeholders."""

from __future__ import annotations

import re

import pytest
from portal_harness import ROOT

from portal import consent

FOLDER = ROOT / "data" / "consent"


def test_the_german_text_has_what_the_rules_require() -> None:
    text = consent.load(FOLDER)["sepa-mandate-2026-1"].render("Stadt X", "DE98ZZZ09999999999")
    assert "ermächtige Stadt X" in text and "mittels Lastschrift einzuziehen" in text
    assert "weise ich mein Kreditinstitut an" in text and "Lastschriften einzulösen" in text
    assert (
        "Hinweis: Ich kann innerhalb von acht Wochen, beginnend mit dem Belastungsdatum, die "
        "Erstattung des belasteten Betrages verlangen. Es gelten dabei die mit meinem "
        "Kreditinstitut vereinbarten Bedingungen."
    ) in text
    assert "14 Tage" in text
    assert "DE98ZZZ09999999999" in text


@pytest.mark.parametrize("language", ["de", "en"])
def test_texts_fit_a_phone_and_use_only_known_placeholders(language: str) -> None:
    raw = (FOLDER / f"sepa-mandate-2026-1.{language}.txt").read_text(encoding="utf-8")
    assert set(re.findall(r"\{[^}]*\}", raw)) == {"{creditor_name}", "{creditor_id}"}
    rendered = consent.load(FOLDER)["sepa-mandate-2026-1"].render(
        "Universitätsstadt Marburg", "DE98ZZZ09999999999", english=language == "en"
    )
    assert len(rendered) < 900
