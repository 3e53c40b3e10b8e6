"""The one-time code that signs a mandate: six digits from the e-mail the portal sent.

No outside standard: the format is the project's API contract (``POST /api/v1/mandates/{id}/sign``
takes ``{code}``, the six digits mailed to the citizen).

>>> validate('123 456')
'123456'
>>> try:
...     validate('12345')
... except SigningCodeError as error:
...     print(error.code)
wrong_length
>>> is_valid('12a456')
False
"""

from __future__ import annotations

import re

from rules.errors import InputError

LENGTH = 6


class SigningCodeError(InputError):
    """Codes: ``empty``, ``invalid_characters``, ``wrong_length``."""


def compact(value: str) -> str:
    """Strip spaces and dashes (mail clients and people group the digits)."""
    return re.sub(r"[\s\-]", "", value)


def validate(value: str) -> str:
    """Return the six digits or raise a ``SigningCodeError``."""
    code = compact(value)
    if not code:
        raise SigningCodeError("no code given", code="empty")
    if not (code.isascii() and code.isdigit()):
        raise SigningCodeError("the code has digits only", code="invalid_characters")
    if len(code) != LENGTH:
        raise SigningCodeError(f"the code has {LENGTH} digits", code="wrong_length")
    return code


def is_valid(value: str) -> bool:
    """Whether the value looks like a signing code."""
    try:
        validate(value)
    except SigningCodeError:
        return False
    return True


def format(value: str) -> str:
    """The code as the e-mail shows it: six digits in one run."""
    return compact(value)
