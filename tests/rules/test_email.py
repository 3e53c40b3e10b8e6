from __future__ import annotations

import pytest

from rules import email


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


def test_format_writes_the_domain_in_lower_case() -> None:
    assert email.format("mailto:Erika@Example.DE") == "Erika@example.de"
    address = email.validate(" <Erika@Example.DE>")
    assert email.validate(email.format(address)) == address
