from __future__ import annotations

import pytest

from rules import iban

VALID_SEPA = [
    "DE89370400440532013000",
    "AT611904300234573201",
    "FR1420041010050500013M02606",
    "NL91ABNA0417164300",
    "CH9300762011623852957",
    "GB29NWBK60161331926819",
    "NO9386011117947",
    "BE68539007547034",
    "ES9121000418450200051332",
    "IT60X0542811101000000123456",
    "LI21088100002324013AA",
    "SM86U0322509800000000270100",
    "MC5811222000010123456789030",
]


@pytest.mark.parametrize("number", VALID_SEPA)
def test_every_sepa_iban_is_accepted(number: str) -> None:
    assert iban.validate(iban.format(number).lower()) == number


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("de89 3704 0044 0532 0130 00", "DE89370400440532013000"),
        ("DE89.3704.0044.0532.0130.00", "DE89370400440532013000"),
        ("DE89-3704-0044-0532-0130-00", "DE89370400440532013000"),
        (" DE89370400440532013000\n", "DE89370400440532013000"),
    ],
)
def test_separators_and_lower_case_are_accepted(typed: str, expected: str) -> None:
    assert iban.validate(typed) == expected


def test_a_missing_digit_is_a_wrong_length_with_the_expected_length() -> None:
    with pytest.raises(iban.IbanError) as caught:
        iban.validate("DE89 3704 0044 0532 0130 0")
    assert caught.value.code == "wrong_length"
    assert (caught.value.country, caught.value.expected_length) == ("DE", 22)
    assert caught.value.actual_length == 21


def test_an_extra_digit_on_a_swiss_iban_is_a_wrong_length() -> None:
    with pytest.raises(iban.WrongLengthError) as caught:
        iban.validate("CH93 0076 2011 6238 5295 71")
    assert caught.value.expected_length == 21


@pytest.mark.parametrize(
    "typo",
    [
        "DE89370400440532013001",  # last digit changed
        "DE89370400440532031000",  # two digits swapped
        "DE98370400440532013000",  # check digits swapped
        "AT611904300234573202",
    ],
)
def test_typos_are_checksum_errors(typo: str) -> None:
    with pytest.raises(iban.IbanError) as caught:
        iban.validate(typo)
    assert caught.value.code == "checksum"


@pytest.mark.parametrize(
    "number",
    ["TR330006100519786457841326", "BR9700360305000010009795493P1", "SA0380000000608010167519"],
)
def test_valid_ibans_outside_sepa_are_refused(number: str) -> None:
    with pytest.raises(iban.IbanError) as caught:
        iban.validate(number)
    assert caught.value.code == "not_sepa"
    assert caught.value.country == number[:2]


@pytest.mark.parametrize(
    ("junk", "code"),
    [
        ("", "empty"),
        ("  .-", "empty"),
        ("DE89 3704 0044 0532 0130 0ä", "invalid_characters"),
        ("meine iban!", "invalid_characters"),
        ("XX89370400440532013000", "unknown_country"),
        ("1234567890", "unknown_country"),
        ("US12345678901234", "unknown_country"),
    ],
)
def test_junk_gets_a_specific_code(junk: str, code: str) -> None:
    with pytest.raises(iban.IbanError) as caught:
        iban.validate(junk)
    assert caught.value.code == code
    assert isinstance(caught.value, ValueError)


def test_letters_where_the_registry_wants_digits_are_invalid_characters() -> None:
    # A German BBAN is all digits; this one has the right length and a matching checksum.
    number = "DE" + "00" + "37040044053201300A"
    checked = number[:2] + _check_digits(number) + number[4:]
    with pytest.raises(iban.IbanError) as caught:
        iban.validate(checked)
    assert caught.value.code == "invalid_characters"


def _check_digits(number: str) -> str:
    from stdnum.iso7064 import mod_97_10

    return mod_97_10.calc_check_digits(number[4:] + number[:2])


def test_is_valid() -> None:
    assert iban.is_valid("DE89 3704 0044 0532 0130 00")
    assert not iban.is_valid("DE89 3704 0044 0532 0130 01")
    assert not iban.is_valid("TR330006100519786457841326")


def test_mask_shows_country_check_digits_and_last_four_only() -> None:
    assert iban.mask("DE89370400440532013000") == "DE89 **** **** **** **30 00"
    assert iban.mask("NO9386011117947") == "NO93 **** ***7 947"
    assert "3704" not in iban.mask("de89 3704 0044 0532 0130 00")
    assert iban.mask("DE89") == "****"


def test_format_groups_of_four() -> None:
    assert iban.format("GB29NWBK60161331926819") == "GB29 NWBK 6016 1331 9268 19"


@pytest.mark.parametrize("country", ["CH", "GB", "SM", "VA", "MC", "AD", "gb"])
def test_non_eea_sepa_countries_need_bic_and_address(country: str) -> None:
    assert iban.is_sepa_country(country)
    assert iban.needs_bic_and_address(country)


@pytest.mark.parametrize("country", ["DE", "AT", "FR", "NL", "NO", "IS", "LI"])
def test_eea_countries_need_no_bic(country: str) -> None:
    assert iban.is_sepa_country(country)
    assert not iban.needs_bic_and_address(country)


def test_every_sepa_country_has_an_iban_structure() -> None:
    for country in iban.SEPA_COUNTRIES:
        assert iban.expected_length(country) is not None, country


def test_bank_name_where_known_and_none_elsewhere() -> None:
    assert iban.bank_name("CZ6508000000192000145399") == "Česká spořitelna, a.s."
    assert iban.bank_name("DE89370400440532013000") is None
    assert iban.bank_name("not an iban") is None


@pytest.mark.parametrize("number", VALID_SEPA)
def test_format_round_trip(number: str) -> None:
    formatted = iban.format(number)
    assert iban.compact(formatted) == number
    assert iban.validate(formatted) == number
    assert all(len(group) <= 4 for group in formatted.split(" "))
