"""BIC (Business Identifier Code, ISO 9362): the bank's code a debit outside the EEA needs.

The code is defined by ISO 9362 (https://www.iso.org/standard/84108.html): 4 letters for the
institution, 2 for the country (ISO 3166-1, plus ``XK``), 2 letters or digits for the location
and an optional branch of 3. The check is python-stdnum's ``stdnum.bic``; this module says which
mistake was made.

>>> validate('BYLA DE M1 001')
'BYLADEM1001'
>>> validate('agrifrpp')
'AGRIFRPP'
>>> validate('AGRIFRPP8')  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
    ...
BicError: a BIC has 8 or 11 characters, not 9
>>> for typed in ['', 'AGRIF2PP', 'AGRIQQPP']:
...     try:
...         validate(typed)
...     except BicError as error:
...         print(error.code)
empty
invalid_format
unknown_country
>>> is_valid('BYLADEM1001'), is_valid('BYLADEM10')
(True, False)
>>> format('byla dem1 001')
'BYLADEM1001'
"""

from __future__ import annotations

from stdnum import bic as stdnum_bic
from stdnum.exceptions import InvalidComponent, InvalidLength, ValidationError

from rules.errors import InputError

__all__ = ["PATTERN", "BicError", "compact", "format", "is_valid", "validate"]

# The shape alone (no country list), for the portal's JSON schema of a compact BIC.
PATTERN = r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$"


class BicError(InputError):
    """Codes: ``empty``, ``wrong_length``, ``invalid_format``, ``unknown_country``."""


def compact(value: str) -> str:
    """Strip spaces and dashes and convert to upper case."""
    return stdnum_bic.compact(value)


def validate(value: str) -> str:
    """Return the compact BIC or raise a ``BicError`` saying which mistake was made."""
    number = compact(value)
    if not number:
        raise BicError("no BIC given", code="empty")
    try:
        return stdnum_bic.validate(number)
    except InvalidLength as exc:
        message = f"a BIC has 8 or 11 characters, not {len(number)}"
        raise BicError(message, code="wrong_length") from exc
    except InvalidComponent as exc:
        message = f"no country {number[4:6]} in a BIC"
        raise BicError(message, code="unknown_country") from exc
    except ValidationError as exc:
        message = "a BIC is 6 letters, then 2 and maybe 3 letters or digits"
        raise BicError(message, code="invalid_format") from exc


def is_valid(value: str) -> bool:
    """Whether the value is a well-formed BIC of a known country."""
    try:
        validate(value)
    except BicError:
        return False
    return True


def format(value: str) -> str:
    """The usual written form: compact, in upper case."""
    return compact(value)
