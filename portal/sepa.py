"""SEPA identifiers the portal issues or checks: creditor identifier and mandate reference.

Creditor identifier (AT-02): ``stdnum.eu.at_02`` checks the mod-97 only, so the German
form (``DE`` + 2 check digits + 3-character business code + 11 digits) is checked too.

>>> validate_creditor_id('DE98 ZZZ 09999999999')
'DE98ZZZ09999999999'
>>> validate_creditor_id('DE98ZZZ0999999999')
Traceback (most recent call last):
    ...
ValueError: a German creditor identifier has 18 characters
>>> mandate_reference('410020260001', 1)
'410020260001-001'
"""

from __future__ import annotations

import re

from stdnum.eu import at_02
from stdnum.exceptions import ValidationError

_GERMAN_CREDITOR_ID = re.compile(r"DE[0-9]{2}[A-Z0-9]{3}[0-9]{11}")
_MANDATE_REFERENCE = re.compile(r"[A-Za-z0-9+?/\-:().,']{1,35}")


def validate_creditor_id(value: str) -> str:
    """Return the compact creditor identifier or raise `ValueError` saying what is wrong."""
    compact = at_02.compact(value)
    if compact.startswith("DE"):
        if len(compact) != 18:
            raise ValueError("a German creditor identifier has 18 characters")
        if not _GERMAN_CREDITOR_ID.fullmatch(compact):
            raise ValueError(
                "a German creditor identifier is DE, 2 digits, 3 characters, 11 digits"
            )
    try:
        return str(at_02.validate(compact))
    except ValidationError as exc:
        raise ValueError(f"the check digits do not match ({exc})") from exc


def mandate_reference(kassenzeichen_digits: str, sequence: int) -> str:
    """Build the mandate reference (AT-01) from the Kassenzeichen and a sequence number."""
    reference = f"{kassenzeichen_digits}-{sequence:03d}"
    if not _MANDATE_REFERENCE.fullmatch(reference):
        raise ValueError("mandate reference outside the SEPA character set or too long")
    return reference
