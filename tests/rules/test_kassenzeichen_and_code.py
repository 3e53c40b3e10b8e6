from __future__ import annotations

import pytest

from rules import kassenzeichen, signing_code


@pytest.mark.parametrize(
    "typed", ["4100.2026.0001", "4100 2026 0001", "410020260001", " 4100-2026-0001 "]
)
def test_kassenzeichen_written_any_way(typed: str) -> None:
    assert kassenzeichen.validate(typed) == "410020260001"
    assert kassenzeichen.format(typed) == "4100.2026.0001"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "empty"),
        (" . ", "empty"),
        ("4100.2026.000", "wrong_length"),
        ("4100.2026.00011", "wrong_length"),
        ("4100.2026.000O", "invalid_characters"),
        ("４１００２０２６０００１", "invalid_characters"),  # full-width digits
    ],
)
def test_kassenzeichen_errors(typed: str, code: str) -> None:
    with pytest.raises(kassenzeichen.KassenzeichenError) as caught:
        kassenzeichen.validate(typed)
    assert caught.value.code == code
    assert not kassenzeichen.is_valid(typed)


@pytest.mark.parametrize("typed", ["123456", "123 456", "123-456", " 12 34 56 "])
def test_signing_code_accepts_grouped_digits(typed: str) -> None:
    assert signing_code.validate(typed) == "123456"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "empty"),
        ("12345", "wrong_length"),
        ("1234567", "wrong_length"),
        ("12a456", "invalid_characters"),
    ],
)
def test_signing_code_errors(typed: str, code: str) -> None:
    with pytest.raises(signing_code.SigningCodeError) as caught:
        signing_code.validate(typed)
    assert caught.value.code == code
