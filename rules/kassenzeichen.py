"""Kassenzeichen: the city treasury's reference of an invoice (demo format: 12 digits).

The Kassenzeichen is printed on every invoice of the Stadtkasse in groups of four digits
separated by dots (``4100.2026.0001``); citizens type it with dots, spaces or nothing between.

>>> validate('4100.2026.0001')
'410020260001'
>>> validate('4100 2026 0001')
'410020260001'
>>> format('410020260001')
'4100.2026.0001'
>>> try:
...     validate('4100.2026.001')
... except KassenzeichenError as error:
...     print(error.code)
wrong_length
>>> is_valid('4100.2026.000A')
False
"""

from __future__ import annotations

import re

from rules.errors import InputError

LENGTH = 12


class KassenzeichenError(InputError):
    """Codes: ``empty``, ``invalid_characters``, ``wrong_length``."""


def compact(value: str) -> str:
    """Strip spaces, dots, dashes and slashes."""
    return re.sub(r"[\s./\-]", "", value)


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
