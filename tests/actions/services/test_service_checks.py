"""The pure checks of the service forms: dates, references, streets, lengths, counts."""

from __future__ import annotations

import doctest
from datetime import date

import pytest

from actions.services import catalogue, checks, dates, faq, forms, streets, text
from rules.errors import InputError

TODAY = date(2026, 11, 28)  # a Saturday


@pytest.mark.parametrize("module", [checks, dates, streets, text, catalogue, faq, forms])
def test_doctests(module: object) -> None:
    failures, _ = doctest.testmod(module)  # type: ignore[arg-type]
    assert failures == 0


@pytest.mark.parametrize(
    ("written", "prefer", "expected"),
    [
        ("morgen", "future", date(2026, 11, 29)),
        ("übermorgen", "future", date(2026, 11, 30)),
        ("nächsten Dienstag", "future", date(2026, 12, 1)),
        ("naechsten dienstag", "future", date(2026, 12, 1)),
        ("am Samstag", "future", date(2026, 12, 5)),
        ("12.3.", "future", date(2027, 3, 12)),
        ("12.3.", "past", date(2026, 3, 12)),
        ("12.3.85", "past", date(1985, 3, 12)),
        ("3. Dezember", "future", date(2026, 12, 3)),
        ("tomorrow", "future", date(2026, 11, 29)),
        ("2026-12-08", "future", date(2026, 12, 8)),
        ("Dienstag, 8.12.", "future", date(2026, 12, 8)),
    ],
)
def test_german_and_english_dates(written: str, prefer: dates.Prefer, expected: date) -> None:
    assert dates.parse(written, TODAY, prefer) == expected


@pytest.mark.parametrize(
    ("written", "code"),
    [("31.02.", "impossible"), ("30.2.2027", "impossible"), ("", "empty"), ("bald mal", "unknown")],
)
def test_dates_that_cannot_be_used(written: str, code: str) -> None:
    with pytest.raises(dates.DateError) as caught:
        dates.parse(written, TODAY, "future")
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("", "empty"),
        ("SR-26-123", "format"),
        ("4100.2026.0001", "format"),
        ("SR-2026-12345", "format"),
    ],
)
def test_references_of_the_wrong_format(written: str, code: str) -> None:
    with pytest.raises(InputError) as caught:
        checks.reference(written)
    assert caught.value.code == code


def test_reference_written_loosely() -> None:
    assert checks.reference("sr 2026 000123") == "SR-2026-000123"


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("Hauptstraße 1", "unknown_street"),
        ("Markt", "no_number"),
        ("Markt 9, 10115 Berlin", "other_postcode"),
        ("", "empty"),
    ],
)
def test_addresses_outside_the_street_list(written: str, code: str) -> None:
    with pytest.raises(InputError) as caught:
        streets.check(written)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("written", "clean"),
    [
        ("am gruen 3", "Am Grün 3"),
        ("Universitätsstr. 7", "Universitätsstraße 7"),
        ("Rudolf Bultmann Strasse 5", "Rudolf-Bultmann-Straße 5"),
        ("Ketzerbach 12, 35037 Marburg", "Ketzerbach 12, 35037 Marburg"),
    ],
)
def test_addresses_in_the_street_list(written: str, clean: str) -> None:
    assert streets.check(written) == clean


def test_description_of_2000_characters_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        checks.description("Schlagloch " * 182)
    assert caught.value.code == "too_long"
    assert (
        checks.description("Ein tiefes Loch vor Hausnummer 5") == "Ein tiefes Loch vor Hausnummer 5"
    )


@pytest.mark.parametrize(("written", "code"), [("elf", "invalid"), ("11", "range"), ("0", "range")])
def test_copies_out_of_range(written: str, code: str) -> None:
    with pytest.raises(InputError) as caught:
        checks.copies(written)
    assert caught.value.code == code


def test_items_limit() -> None:
    assert checks.items("Sofa und Sessel") == ["Sofa", "Sessel"]
    with pytest.raises(InputError):
        checks.items(", ".join(["Stuhl"] * 31))


@pytest.mark.parametrize("written", ["keine ahnung", "erika@", "123"])
def test_contact_needs_phone_or_email(written: str) -> None:
    with pytest.raises(InputError):
        checks.contact(written)


def test_names() -> None:
    assert checks.person_name("Hans-Peter  Schäfer") == "Hans-Peter Schäfer"
    for bad in ("x", "R2D2", "a" * 101):
        with pytest.raises(InputError):
            checks.person_name(bad)
