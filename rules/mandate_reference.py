"""SEPA mandate reference (AT-01): the creditor's unique reference of one mandate.

AT-01 is defined by the EPC's SEPA Direct Debit Core Rulebook (EPC016-06): at most 35
characters, here from the restricted Latin set of the EPC implementation guidelines (letters
``a-z A-Z``, digits and ``+ ? / - : ( ) . , '``, no space), not starting or ending with ``/``
and without ``//``. The city derives it from the invoice: the Kassenzeichen's 12 digits, a dash
and the invoice's mandate sequence number (``410020260001-001``), see ``build``.

>>> build('4100.2026.0001', 1)
'410020260001-001'
>>> validate(' 410020260001-001 ')
'410020260001-001'
>>> validate('4100 2026 0001')  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
    ...
MandateReferenceError: a mandate reference has letters, digits and +?/-:().,' only
>>> for typed in ['', 'X' * 36, 'Mandat/', 'A//B', 'Straße-1']:
...     try:
...         validate(typed)
...     except MandateReferenceError as error:
...         print(error.code)
empty
too_long
slashes
slashes
invalid_characters
>>> is_valid('410020260001-001'), is_valid('410020260001 001')
(True, False)
>>> format(' 410020260001-001')
'410020260001-001'
"""

from __future__ import annotations

import re

from rules import kassenzeichen
from rules.errors import InputError

__all__ = [
    "MAX_LENGTH",
    "MandateReferenceError",
    "build",
    "compact",
    "format",
    "is_valid",
    "validate",
]

MAX_LENGTH = 35
_CHARACTERS = re.compile(r"[A-Za-z0-9+?/\-:().,']+")


class MandateReferenceError(InputError):
    """Codes: ``empty``, ``too_long``, ``invalid_characters``, ``slashes``."""


def compact(value: str) -> str:
    """Strip surrounding white space (inner characters all count)."""
    return value.strip()


def validate(value: str) -> str:
    """Return the reference or raise a ``MandateReferenceError``."""
    reference = compact(value)
    if not reference:
        raise MandateReferenceError("no mandate reference given", code="empty")
    if len(reference) > MAX_LENGTH:
        raise MandateReferenceError(
            f"a mandate reference has at most {MAX_LENGTH} characters", code="too_long"
        )
    if not (reference.isascii() and _CHARACTERS.fullmatch(reference)):
        raise MandateReferenceError(
            "a mandate reference has letters, digits and +?/-:().,' only",
            code="invalid_characters",
        )
    if reference.startswith("/") or reference.endswith("/") or "//" in reference:
        raise MandateReferenceError(
            "a mandate reference neither starts nor ends with / nor has //", code="slashes"
        )
    return reference


def is_valid(value: str) -> bool:
    """Whether the value can be a SEPA mandate reference."""
    try:
        validate(value)
    except MandateReferenceError:
        return False
    return True


def format(value: str) -> str:
    """A mandate reference is written as it is; only surrounding white space goes."""
    return compact(value)


def build(kassenzeichen_number: str, sequence: int) -> str:
    """The reference of the invoice's ``sequence``-th mandate (1, 2, …).

    Raises ``KassenzeichenError`` for a malformed Kassenzeichen and ``ValueError`` for a
    sequence below 1: both are the caller's mistakes, not the citizen's.
    """
    if sequence < 1:
        raise ValueError(f"a mandate sequence number starts at 1, not {sequence}")
    return validate(f"{kassenzeichen.validate(kassenzeichen_number)}-{sequence:03d}")
