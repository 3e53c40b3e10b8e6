"""SEPA creditor identifier (AT-02): who collects a direct debit, here the city.

AT-02 is defined by the EPC's SEPA Direct Debit Core Rulebook (EPC016-06) and its "Creditor
Identifier Overview" (EPC262-08, https://www.europeanpaymentscouncil.eu): 2 letters of the
country, 2 check digits (ISO 7064 mod 97-10 over the identifier without the business code), a
3-character creditor business code (``ZZZ`` when unused) and a national identifier of at most 28
characters. A German one, issued by the Deutsche Bundesbank, has 11 digits there, 18 characters
in all. ``stdnum.eu.at_02`` checks the mod 97 only; the length and the pattern are checked here
first, so a missing digit is reported as a wrong length and not as a typo.

>>> validate('DE98 ZZZ 09999999999')
'DE98ZZZ09999999999'
>>> validate('es23zzz47690558n')
'ES23ZZZ47690558N'
>>> validate('DE98ZZZ0999999999')  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
    ...
CreditorIdError: a German creditor identifier has 18 characters
>>> for typed in ['', 'DE98ZZZ0999999999X', 'DE98ZZZ09999999998', 'D198ZZZ09999999999']:
...     try:
...         validate(typed)
...     except CreditorIdError as error:
...         print(error.code)
empty
invalid_format
checksum
invalid_format
>>> is_valid('DE98ZZZ09999999999'), is_valid('DE98ZZZ09999999998')
(True, False)
>>> format('de98zzz09999999999')
'DE98 ZZZ 09999999999'
"""

from __future__ import annotations

import re

from stdnum.eu import at_02
from stdnum.exceptions import ValidationError

from rules.errors import InputError

__all__ = ["CreditorIdError", "compact", "format", "is_valid", "validate"]

MAX_LENGTH = 35
GERMAN_LENGTH = 18
_STRUCTURE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{3}[A-Z0-9]{1,28}")
_GERMAN = re.compile(r"DE[0-9]{2}[A-Z0-9]{3}[0-9]{11}")
# The separators stdnum.eu.at_02 drops. Its own compact() also drops every lower-case "m"
# before converting to upper case, which would eat a letter of a business code typed in lower
# case, so the clean-up is done here.
_SEPARATORS = re.compile(r"[\s\-/?:().'+\"]")


class CreditorIdError(InputError):
    """Codes: ``empty``, ``wrong_length``, ``invalid_format``, ``checksum``."""


def compact(value: str) -> str:
    """Strip spaces and the other separators and convert to upper case."""
    return _SEPARATORS.sub("", value).upper()


def _check_shape(number: str) -> None:
    if number.startswith("DE"):
        if len(number) != GERMAN_LENGTH:
            raise CreditorIdError(
                f"a German creditor identifier has {GERMAN_LENGTH} characters",
                code="wrong_length",
            )
        if not _GERMAN.fullmatch(number):
            raise CreditorIdError(
                "a German creditor identifier is DE, 2 digits, 3 characters, 11 digits",
                code="invalid_format",
            )
    if len(number) > MAX_LENGTH:
        raise CreditorIdError(
            f"a creditor identifier has at most {MAX_LENGTH} characters", code="wrong_length"
        )
    if not (number.isascii() and _STRUCTURE.fullmatch(number)):
        raise CreditorIdError(
            "a creditor identifier is a country, 2 digits, a business code and an identifier",
            code="invalid_format",
        )


def validate(value: str) -> str:
    """Return the compact identifier or raise a ``CreditorIdError`` saying what is wrong."""
    number = compact(value)
    if not number:
        raise CreditorIdError("no creditor identifier given", code="empty")
    _check_shape(number)
    try:
        return str(at_02.validate(number))
    except ValidationError as exc:
        raise CreditorIdError(f"the check digits do not match ({exc})", code="checksum") from exc


def is_valid(value: str) -> bool:
    """Whether the value is a valid SEPA creditor identifier."""
    try:
        validate(value)
    except CreditorIdError:
        return False
    return True


def format(value: str) -> str:
    """Country and check digits, business code, national identifier, separated by spaces."""
    number = compact(value)
    return " ".join(part for part in (number[:4], number[4:7], number[7:]) if part)
