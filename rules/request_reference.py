"""Service-request reference: what a citizen is told after filing, and asks about later.

Issued as ``SR-YYYY-XXXX-XXXX``: the year of filing, then seven random symbols of Crockford's
base 32 (``0-9 A-Z`` without ``I L O U``: 35 bits, drawn by ``secrets``) and one check symbol
(Luhn mod 32, ``stdnum.luhn`` over the same alphabet), so a reference cannot be guessed from
another one and a mistyped symbol or two swapped neighbours are caught before the portal is
asked. Reading is forgiving as Crockford intends: lower case, spaces or no dashes, ``O`` for
``0`` and ``I``/``L`` for ``1`` are all read. References of the earlier sequential form
``SR-YYYY-NNNNNN`` (six digits) are still read, so a citizen with an old one is answered.

>>> reference = generate(2026)
>>> bool(re.fullmatch(r"SR-2026-[0-9A-Z]{4}-[0-9A-Z]{4}", reference)), is_valid(reference)
(True, True)
>>> validate('sr 2026 7kqm 4xdx')
'SR-2026-7KQM-4XDX'
>>> validate('SR-2026-7KQM-4XDX') == validate('sr2026-7kqm4xdx') == validate('SR2026 7KQM 4XDX')
True
>>> validate('SR-2026-000123')  # the earlier sequential form
'SR-2026-000123'
>>> try:
...     validate('SR-2026-7KQM-4XD9')
... except RequestReferenceError as error:
...     print(error.code)
checksum
>>> try:
...     validate('4711')
... except RequestReferenceError as error:
...     print(error.code)
format
"""

from __future__ import annotations

import re
import secrets

from stdnum import luhn

from rules.errors import InputError

__all__ = [
    "ALPHABET",
    "FIND_PATTERN",
    "PATTERN",
    "RequestReferenceError",
    "compact",
    "format",
    "generate",
    "is_valid",
    "validate",
]

# Crockford's base 32: no I, L, O, U (no confusion with 1, 0 and no accidental words)
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_SYMBOLS = 7
# The portal's JSON schema and the route: both forms, strictly as issued (upper case, dashes)
PATTERN = r"^SR-[0-9]{4}-(?:[0-9]{6}|[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4})$"
# A reference inside a sentence, written loosely (the chat reads it from free text)
FIND_PATTERN = re.compile(
    r"\bsr[\s-]?([0-9]{4})[\s-]?([0-9]{6}\b|[0-9a-z]{4}[\s-]?[0-9a-z]{4}\b)", re.IGNORECASE
)
_SEPARATORS = re.compile(r"[\s-]")
_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


class RequestReferenceError(InputError):
    """Codes: ``empty``, ``format``, ``checksum``."""


def compact(value: str) -> str:
    """Upper case without separators; Crockford's look-alikes read as the digits they resemble.

    >>> compact(' sr-2026-7kqm-4xdx ')
    'SR20267KQM4XDX'
    >>> compact('SR 2026 OIL0 0000')
    'SR202601100000'
    """
    text = _SEPARATORS.sub("", value).upper()
    if text.startswith("SR"):
        return "SR" + text[2:].translate(_LOOK_ALIKES)
    return text.translate(_LOOK_ALIKES)


def _body_ok(body: str) -> bool:
    return len(body) == RANDOM_SYMBOLS + 1 and all(char in ALPHABET for char in body)


def validate(value: str) -> str:
    """The reference as issued (``SR-YYYY-XXXX-XXXX`` or the older ``SR-YYYY-NNNNNN``)."""
    text = compact(value)
    if not text:
        raise RequestReferenceError("no reference given", code="empty")
    match = re.fullmatch(r"SR([0-9]{4})([0-9A-Z]+)", text)
    if match is None:
        raise RequestReferenceError(f"not a reference: {value!r}", code="format")
    year, body = match.groups()
    if len(body) == 6 and body.isdigit():
        return f"SR-{year}-{body}"
    if not _body_ok(body):
        raise RequestReferenceError(f"not a reference: {value!r}", code="format")
    if luhn.checksum(body, alphabet=ALPHABET) != 0:
        raise RequestReferenceError("the check symbol does not match", code="checksum")
    return f"SR-{year}-{body[:4]}-{body[4:]}"


def is_valid(value: str) -> bool:
    try:
        validate(value)
    except RequestReferenceError:
        return False
    return True


def format(value: str) -> str:
    """The issued form of a valid reference (see ``validate``)."""
    return validate(value)


def generate(year: int) -> str:
    """A new random reference of that year."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_SYMBOLS))
    body += luhn.calc_check_digit(body, alphabet=ALPHABET)
    return f"SR-{year:04d}-{body[:4]}-{body[4:]}"
