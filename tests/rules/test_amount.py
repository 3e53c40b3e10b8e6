from __future__ import annotations

from decimal import Decimal

import pytest

from rules import amount


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("48,00", "48.00"),
        ("48", "48.00"),
        ("48 euro", "48.00"),
        ("48 Euro", "48.00"),
        ("€ 1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("48.00 EUR", "48.00"),
        ("EUR 12,5", "12.50"),
        ("48,50€", "48.50"),
        ("48,-", "48.00"),
        ("1 234,56", "1234.56"),
        ("12.345,67", "12345.67"),
        ("0,99", "0.99"),
    ],
)
def test_german_and_english_notation(typed: str, expected: str) -> None:
    assert amount.validate(typed) == Decimal(expected)
    assert amount.validate(typed).as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "empty"),
        ("Euro", "empty"),
        ("1.234", "ambiguous"),
        ("1,234", "ambiguous"),
        ("-48,00", "negative"),
        ("0", "zero"),
        ("0,00 €", "zero"),
        ("1000000,01", "too_large"),
        ("99.999.999", "too_large"),
        ("48,001", "ambiguous"),
        ("1.234,567", "too_many_decimals"),
        ("achtundvierzig", "invalid"),
        ("12.3.4", "invalid"),
        ("1,234.56,7", "invalid"),
    ],
)
def test_refusals(typed: str, code: str) -> None:
    with pytest.raises(amount.AmountError) as caught:
        amount.validate(typed)
    assert caught.value.code == code
    assert not amount.is_valid(typed)


def test_formats() -> None:
    assert amount.format_de(Decimal("48")) == "48,00 €"
    assert amount.format_en(Decimal("48")) == "€48.00"
    assert amount.format_de(Decimal("1234567.8")) == "1.234.567,80 €"
    assert amount.to_api(Decimal("1234.5")) == "1234.50"


@pytest.mark.parametrize(
    ("typed", "german", "english"),
    [
        ("48", "48,00 €", "€48.00"),
        ("1.234,5", "1.234,50 €", "€1,234.50"),
        ("€ 0,99", "0,99 €", "€0.99"),
    ],
)
def test_format_in_both_languages_and_back(typed: str, german: str, english: str) -> None:
    assert amount.format(typed) == german
    assert amount.format(typed, "en") == english
    value = amount.validate(typed)
    assert amount.validate(amount.format(value)) == value
    assert amount.validate(amount.format(value, "en")) == value


def test_format_of_text_that_is_no_amount_raises_the_amount_error() -> None:
    with pytest.raises(amount.AmountError):
        amount.format("achtundvierzig")
