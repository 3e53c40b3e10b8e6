from __future__ import annotations

import pytest

from rules import account_holder, email


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("erika@example.de", "erika@example.de"),
        (
            " Erika.Mustermann+rechnung@Mail.Example.DE ",
            "Erika.Mustermann+rechnung@mail.example.de",
        ),
        ("<erika@example.org>", "erika@example.org"),
        ("mailto:erika@example.org", "erika@example.org"),
    ],
)
def test_good_addresses(typed: str, expected: str) -> None:
    assert email.validate(typed) == expected


def test_umlauts_before_the_at_are_refused() -> None:
    # They need SMTPUTF8, which many city mail servers do not offer.
    assert not email.is_valid("jörg@müller.de")


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "empty"),
        ("erika.example.de", "missing_at"),
        ("erika@@example.de", "missing_at"),
        (".erika@example.de", "invalid_local"),
        ("erika..m@example.de", "invalid_local"),
        ("er ika@example.de", "invalid_local"),
        ("erika@example", "invalid_domain"),
        ("erika@-example.de", "invalid_domain"),
        ("erika@example.d", "invalid_domain"),
        ("erika@exa_mple.de", "invalid_domain"),
        ("a" * 65 + "@example.de", "invalid_local"),
        ("a@" + "b" * 250 + ".de", "too_long"),
    ],
)
def test_bad_addresses(typed: str, code: str) -> None:
    with pytest.raises(email.EmailError) as caught:
        email.validate(typed)
    assert caught.value.code == code


def test_international_domains_are_allowed() -> None:
    assert email.validate("info@müller-bau.de") == "info@müller-bau.de"


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
