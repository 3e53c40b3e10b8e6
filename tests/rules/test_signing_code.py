from __future__ import annotations

import pytest

from rules import signing_code


@pytest.mark.parametrize("typed", ["123456", "123 456", "123-456", " 12 34 56 "])
def test_signing_code_accepts_grouped_digits(typed: str) -> None:
    assert signing_code.validate(typed) == "123456"
    assert signing_code.format(typed) == "123456"
    assert signing_code.is_valid(typed)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "empty"),
        (" - ", "empty"),
        ("12345", "wrong_length"),
        ("1234567", "wrong_length"),
        ("12a456", "invalid_characters"),
        ("１２３４５６", "invalid_characters"),  # full-width digits
    ],
)
def test_signing_code_errors(typed: str, code: str) -> None:
    with pytest.raises(signing_code.SigningCodeError) as caught:
        signing_code.validate(typed)
    assert caught.value.code == code
    assert not signing_code.is_valid(typed)
