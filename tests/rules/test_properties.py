"""Properties every rule keeps, on generated input.

validate() answers arbitrary text with the clean value or the module's own error (never an
IndexError, a UnicodeError or a stdnum exception that the forms would not catch), and a valid
value survives format() and validate() unchanged.
"""

from __future__ import annotations

import re
from types import ModuleType

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from stdnum.eu import at_02
from stdnum.iso7064 import mod_97_10

from rules import (
    account_holder,
    amount,
    bic,
    creditor_id,
    email,
    iban,
    kassenzeichen,
    mandate_reference,
    signing_code,
)
from rules.errors import InputError

# No deadline: the 2-core machine is shared, and a slow example is no wrong answer. No example
# database either: the runs stay independent of each other and leave no folder behind.
QUICK = settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

MODULES: dict[ModuleType, type[InputError]] = {
    account_holder: account_holder.AccountHolderError,
    amount: amount.AmountError,
    bic: bic.BicError,
    creditor_id: creditor_id.CreditorIdError,
    email: email.EmailError,
    iban: iban.IbanError,
    kassenzeichen: kassenzeichen.KassenzeichenError,
    mandate_reference: mandate_reference.MandateReferenceError,
    signing_code: signing_code.SigningCodeError,
}

# Text near what the rules read (digits, letters, separators, odd spaces, other scripts' digits)
# finds more corners than uniform Unicode, which hardly ever gets past the first check.
NEAR = st.text(
    alphabet=st.sampled_from(
        [*"0123456789DEATCHGBNOzzZ @.,-/+:'€ ", "\u00a0", "\u2009", "\n", "ß", "٣", "１"]
    ),
    max_size=40,
)
ANY_TEXT = st.one_of(st.text(max_size=60), NEAR)


@pytest.mark.parametrize("module", list(MODULES), ids=lambda m: m.__name__)
def test_validate_raises_only_the_modules_own_error(module: ModuleType) -> None:
    error = MODULES[module]

    @QUICK
    @given(ANY_TEXT)
    def check(text: str) -> None:
        try:
            module.validate(text)
        except error as exc:
            assert exc.code, exc
            assert module.is_valid(text) is False
        else:
            assert module.is_valid(text) is True
        if module is not amount:  # amount.format reads text as an amount; the others never raise
            assert isinstance(module.format(text), str)

    check()


@pytest.mark.parametrize("module", list(MODULES), ids=lambda m: m.__name__)
def test_compact_is_idempotent(module: ModuleType) -> None:
    @QUICK
    @given(NEAR)
    @example(".-.-")  # rules.amount compacted it to ".-", and that to ""
    def check(text: str) -> None:
        once = module.compact(text)
        assert module.compact(once) == once

    check()


def _separated(parts: list[str], separators: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(separators, min_size=len(parts), max_size=len(parts)).map(
        lambda seps: "".join(part + sep for part, sep in zip(parts, seps, strict=True))
    )


@QUICK
@given(
    st.text(alphabet="0123456789", min_size=12, max_size=12).flatmap(
        lambda digits: _separated(list(digits), st.sampled_from(["", "", " ", ".", "-", "/"]))
    )
)
def test_kassenzeichen_round_trip(typed: str) -> None:
    number = kassenzeichen.validate(typed)
    assert kassenzeichen.compact(kassenzeichen.format(number)) == number
    assert kassenzeichen.validate(kassenzeichen.format(number)) == number


@QUICK
@given(NEAR)
def test_kassenzeichen_pattern_is_the_same_rule_as_validate(text: str) -> None:
    # The portal's JSON schema uses PATTERN; the API must refuse exactly what validate refuses.
    assert bool(re.match(kassenzeichen.PATTERN, text)) == kassenzeichen.is_valid(text)


OLD_PORTAL_RULE = re.compile(r"^[0-9]{4}[. ]?[0-9]{4}[. ]?[0-9]{4}$")


@QUICK
@given(st.text(alphabet="0123456789. \t", max_size=16))
def test_kassenzeichen_accepts_what_the_portal_accepted(text: str) -> None:
    if OLD_PORTAL_RULE.match(text.strip()):
        assert kassenzeichen.validate(text) == re.sub(r"[. \t]", "", text)


# SEPA countries whose account number is digits only with no national check inside (letters at
# fixed places and national checks are covered by the fixed examples of test_iban.py).
DIGIT_ONLY_COUNTRIES = ["AT", "CH", "CZ", "DE", "DK", "EE", "FI", "HR", "HU", "LT", "PL", "SE"]


@st.composite
def ibans(draw: st.DrawFn) -> str:
    country = draw(st.sampled_from(DIGIT_ONLY_COUNTRIES))
    length = iban.expected_length(country)
    assert length is not None
    bban = draw(st.text(alphabet="0123456789", min_size=length - 4, max_size=length - 4))
    number = country + mod_97_10.calc_check_digits(bban + country) + bban
    return number


@QUICK
@given(ibans(), st.sampled_from(["", " ", "-", "."]), st.booleans())
def test_iban_round_trip(number: str, separator: str, lower: bool) -> None:
    typed = iban.format(number).replace(" ", separator)
    typed = typed.lower() if lower else typed
    assert iban.validate(typed) == number
    assert iban.validate(iban.format(number)) == number


@QUICK
@given(st.from_regex(r"[A-Z]{4}(DE|FR|AT|CH|GB)[A-Z0-9]{2}([A-Z0-9]{3})?", fullmatch=True))
def test_bic_round_trip(number: str) -> None:
    assert bic.validate(bic.format(number.lower())) == number
    assert bic.compact(bic.format(number)) == number


@QUICK
@given(st.from_regex(r"DE00[A-Z0-9]{3}[0-9]{11}", fullmatch=True))
def test_creditor_id_round_trip(template: str) -> None:
    number = template[:2] + at_02.calc_check_digits(template) + template[4:]
    assert creditor_id.validate(creditor_id.format(number)) == number
    assert creditor_id.validate(creditor_id.format(number).lower()) == number


@QUICK
@given(st.from_regex(r"[A-Za-z0-9+?\-:().,']{1,35}", fullmatch=True))
def test_mandate_reference_round_trip(reference: str) -> None:
    assert mandate_reference.validate(mandate_reference.format(reference)) == reference


@QUICK
@given(st.decimals(min_value="0.01", max_value=amount.MAXIMUM, places=2), st.booleans())
def test_amount_round_trip(value: object, english: bool) -> None:
    assert isinstance(value, type(amount.MAXIMUM))
    written = amount.format(value, "en" if english else "de")
    assert amount.validate(written) == value
