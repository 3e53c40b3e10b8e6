"""Kassenzeichen (the city's payment reference): 12 digits, written in groups of four.

>>> compact('4100.2026.0001')
'410020260001'
>>> compact('4100 2026 0001')
'410020260001'
>>> format('410020260001')
'4100.2026.0001'
>>> compact('4100.2026.001')
Traceback (most recent call last):
    ...
ValueError: a Kassenzeichen has 12 digits in groups of four
"""

from __future__ import annotations

import re

PATTERN = r"^[0-9]{4}[. ]?[0-9]{4}[. ]?[0-9]{4}$"
_RE = re.compile(PATTERN)


def compact(value: str) -> str:
    """Return the 12 digits or raise `ValueError`."""
    if not _RE.match(value.strip()):
        raise ValueError("a Kassenzeichen has 12 digits in groups of four")
    return re.sub(r"[. ]", "", value.strip())


def format(value: str) -> str:
    """Return the dotted form the portal answers with."""
    digits = compact(value)
    return f"{digits[:4]}.{digits[4:8]}.{digits[8:]}"
