"""Kassenzeichen: the city treasury's reference of an invoice (demo format: 12 digits).

The format is the project's API contract: 12 digits, written with or without dots or spaces in
groups of four (``4100.2026.0001``), as printed on every invoice of the Stadtkasse. People and
API clients write the groups in other ways too, so the separators are forgiving: white space,
dots, dashes and slashes anywhere are dropped, and what is left must be exactly 12 ASCII digits.
The chat, the portal's API and its OpenAPI document (``PATTERN``) all use this one rule.

>>> validate('4100.2026.0001')
'410020260001'
>>> validate('4100 2026 0001'), validate('4100-2026-0001'), validate(' 410020260001 ')
('410020260001', '410020260001', '410020260001')
>>> format('410020260001')
'4100.2026.0001'
>>> validate('4100.2026.001')  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
    ...
KassenzeichenError: a Kassenzeichen has 12 digits, not 11
>>> try:
...     validate('4100.2026.000A')
... except KassenzeichenError as error:
...     print(error.code)
invalid_characters
>>> is_valid('4100.2026.0001'), is_valid('4100.2026.000A')
(True, False)
"""

from __future__ import annotations

import re

from rules.errors import InputError

__all__ = [
    "DESCRIPTION",
    "LENGTH",
    "PATTERN",
    "KassenzeichenError",
    "compact",
    "format",
    "is_valid",
    "validate",
]

LENGTH = 12
# The same rule as ``validate`` as one regular expression, for the portal's JSON schema: any
# separators around exactly twelve ASCII digits ([0-9], not \d, which takes other scripts too).
PATTERN = r"^[\s./-]*(?:[0-9][\s./-]*){12}$"
DESCRIPTION = "12 digits, with or without dots or spaces in groups of four"
_SEPARATORS = re.compile(r"[\s./\-]")


class KassenzeichenError(InputError):
    """Codes: ``empty``, ``invalid_characters``, ``wrong_length``."""


def compact(value: str) -> str:
    """Strip white space, dots, dashes and slashes.

    >>> compact(' 4100/2026/0001 ')
    '410020260001'
    """
    return _SEPARATORS.sub("", value)


def validate(value: str) -> str:
    """Return the 12 digits or raise a ``KassenzeichenError``."""
    number = compact(value)
    if not number:
        raise KassenzeichenError("no Kassenzeichen given", code="empty")
    if not (number.isascii() and number.isdigit()):
        raise KassenzeichenError("a Kassenzeichen has digits only", code="invalid_characters")
    if len(number) != LENGTH:
        raise KassenzeichenError(
            f"a Kassenzeichen has {LENGTH} digits, not {len(number)}", code="wrong_length"
        )
    return number


def is_valid(value: str) -> bool:
    """Whether the value is a well-formed Kassenzeichen."""
    try:
        validate(value)
    except KassenzeichenError:
        return False
    return True


def format(value: str) -> str:
    """The printed form: groups of four digits separated by dots."""
    number = compact(value)
    return ".".join(number[i : i + 4] for i in range(0, len(number), 4))
