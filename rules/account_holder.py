"""The account holder's name, as the debtor name of a SEPA mandate (at most 70 characters).

The debtor's name is attribute AT-14 of the EPC's SEPA Direct Debit Core Rulebook (EPC016-06),
an ISO 20022 ``Max70Text`` in the pain.008 message (https://www.iso20022.org).
Letters of any alphabet (umlauts included), spaces, hyphens, apostrophes, dots, commas and ``&``
are allowed. Digits are not: a name with digits is mostly an IBAN or a Kassenzeichen typed into
the wrong question, and an IBAN must never end up stored as a name.

>>> validate('  Erika   Müller-Lüdenscheidt ')
'Erika Müller-Lüdenscheidt'
>>> validate("Dr. Seán O'Brien")
"Dr. Seán O'Brien"
>>> for typed in ['DE89 3704 0044 0532 0130 00', '12345', 'Erika\\x00', 'R2-D2']:
...     try:
...         validate(typed)
...     except AccountHolderError as error:
...         print(error.code)
looks_like_iban
digits_only
control_characters
invalid_characters
"""

from __future__ import annotations

import re
import unicodedata

from rules.errors import InputError

MAX_LENGTH = 70
_PUNCTUATION = frozenset(" -'’.,&")
_IBAN_LIKE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{8,}")


class AccountHolderError(InputError):
    """Codes: ``empty``, ``too_long``, ``control_characters``, ``looks_like_iban``,
    ``digits_only``, ``invalid_characters``, ``no_letters``."""


def compact(value: str) -> str:
    """Collapse runs of white space and strip the ends; Unicode in composed form (NFC)."""
    return " ".join(unicodedata.normalize("NFC", value).split())


def _check_characters(name: str) -> None:
    squeezed = re.sub(r"[\s.\-]", "", name).upper()
    if _IBAN_LIKE.fullmatch(squeezed):
        raise AccountHolderError("this looks like an IBAN, not a name", code="looks_like_iban")
    if squeezed.isdigit():
        raise AccountHolderError("a name is not a number", code="digits_only")
    if not all(char.isalpha() or char in _PUNCTUATION for char in name):
        raise AccountHolderError("a name has letters only", code="invalid_characters")
    if not any(char.isalpha() for char in name):
        raise AccountHolderError("a name has letters", code="no_letters")


def validate(value: str) -> str:
    """Return the tidied name or raise an ``AccountHolderError``."""
    if any(unicodedata.category(char) == "Cc" and char not in "\t\n\r" for char in value):
        raise AccountHolderError("control characters in the name", code="control_characters")
    name = compact(value)
    if not name:
        raise AccountHolderError("no name given", code="empty")
    if len(name) > MAX_LENGTH:
        raise AccountHolderError(f"at most {MAX_LENGTH} characters", code="too_long")
    _check_characters(name)
    return name


def is_valid(value: str) -> bool:
    """Whether the value can be used as the account holder's name."""
    try:
        validate(value)
    except AccountHolderError:
        return False
    return True


def format(value: str) -> str:
    """The name as printed on the mandate: white space tidied, nothing else changed."""
    return compact(value)
