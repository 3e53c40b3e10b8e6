from __future__ import annotations

import pytest
from stdnum.eu import at_02

from rules import creditor_id


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("DE98ZZZ09999999999", "DE98ZZZ09999999999"),
        ("DE98 ZZZ 09999999999", "DE98ZZZ09999999999"),
        ("de98zzz09999999999", "DE98ZZZ09999999999"),
        ("ES 23 ZZZ 47690558N", "ES23ZZZ47690558N"),
    ],
)
def test_good_identifiers(typed: str, expected: str) -> None:
    assert creditor_id.validate(typed) == expected
    assert creditor_id.is_valid(typed)


def test_a_business_code_in_lower_case_keeps_its_letters() -> None:
    # stdnum.eu.at_02.compact drops a lower-case "m"; the city's business code could have one.
    number = "DEXXM0109999999999"
    number = number[:2] + at_02.calc_check_digits(number) + number[4:]
    assert creditor_id.validate(number.lower()) == number


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "empty"),
        (" - ", "empty"),
        ("DE98ZZZ0999999999", "wrong_length"),
        ("DE98ZZZ099999999999", "wrong_length"),
        ("DE98ZZZ0999999999X", "invalid_format"),
        ("DEX8ZZZ09999999999", "invalid_format"),
        ("ES23ZZZ" + "1" * 29, "wrong_length"),
        ("1298ZZZ09999999999", "invalid_format"),
        ("ES23ZZZ", "invalid_format"),
        ("DE98ZZZ09999999998", "checksum"),
        ("ES24ZZZ47690558N", "checksum"),
    ],
)
def test_bad_identifiers(typed: str, code: str) -> None:
    with pytest.raises(creditor_id.CreditorIdError) as caught:
        creditor_id.validate(typed)
    assert caught.value.code == code
    assert not creditor_id.is_valid(typed)


def test_format_groups_country_business_code_and_national_part() -> None:
    assert creditor_id.format("DE98ZZZ09999999999") == "DE98 ZZZ 09999999999"
    number = creditor_id.validate("de98 zzz 09999999999")
    assert creditor_id.validate(creditor_id.format(number)) == number
