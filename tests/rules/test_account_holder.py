from __future__ import annotations

import pytest

from rules import account_holder


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Erika Mustermann", "Erika Mustermann"),
        ("  Jürgen   Groß ", "Jürgen Groß"),
        ("Anne-Sophie O’Neill", "Anne-Sophie O’Neill"),
        ("Dr. med. Ö. Çelik", "Dr. med. Ö. Çelik"),
        ("Müller, Hans & Grete", "Müller, Hans & Grete"),
        ("A" * 70, "A" * 70),
    ],
)
def test_names(typed: str, expected: str) -> None:
    assert account_holder.validate(typed) == expected


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("A" * 71, "too_long"),
        ("DE89 3704 0044 0532 0130 00", "looks_like_iban"),
        ("de89370400440532013000", "looks_like_iban"),
        ("4100.2026.0001", "digits_only"),
        ("Erika\x07 Mustermann", "control_characters"),
        ("Erika Mustermann 2", "invalid_characters"),
        ("Erika <script>", "invalid_characters"),
        ("...", "no_letters"),
    ],
)
def test_names_refused(typed: str, code: str) -> None:
    with pytest.raises(account_holder.AccountHolderError) as caught:
        account_holder.validate(typed)
    assert caught.value.code == code


def test_format_tidies_white_space_only() -> None:
    assert account_holder.format("  Erika \t Mustermann ") == "Erika Mustermann"
    name = account_holder.validate("Jürgen  Groß")
    assert account_holder.validate(account_holder.format(name)) == name
