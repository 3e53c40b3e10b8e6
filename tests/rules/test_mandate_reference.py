from __future__ import annotations

import pytest

from rules import kassenzeichen, mandate_reference


def test_built_from_the_kassenzeichen_and_the_sequence() -> None:
    assert mandate_reference.build("410020260001", 1) == "410020260001-001"
    assert mandate_reference.build("4100.2026.0001", 12) == "410020260001-012"
    assert mandate_reference.build("410020260001", 1000) == "410020260001-1000"


def test_build_refuses_what_only_a_programming_error_gives() -> None:
    with pytest.raises(kassenzeichen.KassenzeichenError):
        mandate_reference.build("4100", 1)
    with pytest.raises(ValueError, match="starts at 1"):
        mandate_reference.build("410020260001", 0)


@pytest.mark.parametrize(
    "reference",
    ["410020260001-001", "A", "X" * 35, "MANDAT+1?/-:().,'", "a/b"],
)
def test_good_references(reference: str) -> None:
    assert mandate_reference.validate(f" {reference} ") == reference
    assert mandate_reference.format(reference) == reference
    assert mandate_reference.is_valid(reference)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("X" * 36, "too_long"),
        ("4100 2026 0001", "invalid_characters"),
        ("Mandat_1", "invalid_characters"),
        ("Müller-1", "invalid_characters"),
        ("/410020260001", "slashes"),
        ("410020260001/", "slashes"),
        ("4100//0001", "slashes"),
    ],
)
def test_bad_references(typed: str, code: str) -> None:
    with pytest.raises(mandate_reference.MandateReferenceError) as caught:
        mandate_reference.validate(typed)
    assert caught.value.code == code
    assert not mandate_reference.is_valid(typed)
