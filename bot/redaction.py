"""Masks IBAN-shaped text before anything is written to the tracker store.

The assistant never stores an IBAN in clear (docs/architecture.md). Citizens type IBANs freely, so
the masking cannot rely on slots or entities alone: every string of every event is scanned.
Anything shaped like an IBAN is masked, valid or not, because a mistyped IBAN is still personal.

>>> mask_ibans("meine iban ist DE89 3704 0044 0532 0130 00 danke")
'meine iban ist DE89 **** **** **** **30 00 danke'
>>> mask_ibans("de89370400440532013000")
'DE89 **** **** **** **30 00'
>>> mask_ibans("Kassenzeichen 4100.2026.0001, 48,00 Euro")
'Kassenzeichen 4100.2026.0001, 48,00 Euro'
>>> mask_ibans("de89 3704 0044 0532 0130 0")  # one digit missing: still an IBAN to the citizen
'DE89 **** **** **** *130 0'
>>> mask_ibans("mandate de12a4f0c9e84b7f9a1c2d3e4f5a6b7c")  # a hex id, far from DE's 22
'mandate de12a4f0c9e84b7f9a1c2d3e4f5a6b7c'
>>> redact({"text": "GB29NWBK60161331926819", "n": 1, "l": ["ok"]})
{'text': 'GB29 **** **** **** **68 19', 'n': 1, 'l': ['ok']}
"""

from __future__ import annotations

import re
from typing import Any

from rules.iban import expected_length

# A mistyped IBAN is often a digit or two short or long; ids and tokens are far off any length.
LENGTH_TOLERANCE = 3

# Two letters, two check digits, then blocks of four letters or digits and a shorter last block
# (ISO 13616 lengths 15 to 34), written compact or grouped by spaces, dots or dashes.
IBAN_SHAPE = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z]{2} ?\d{2}(?:[ .-]?[A-Za-z0-9]{4}){2,7}(?:[ .-]?[A-Za-z0-9]{1,4})?"
    r"(?![A-Za-z0-9])"
)
_SEPARATORS = re.compile(r"[ .-]")
VISIBLE_TAIL = 4


def mask_iban_like(value: str) -> str:
    """Country code, check digits and the last four characters stay; the rest becomes `*`."""
    compact = _SEPARATORS.sub("", value).upper()
    hidden = len(compact) - 4 - VISIBLE_TAIL
    masked = compact[:4] + "*" * hidden + compact[-VISIBLE_TAIL:]
    return " ".join(masked[i : i + 4] for i in range(0, len(masked), 4))


def _looks_like_iban(candidate: str) -> bool:
    """An IBAN country code, a length near that country's, and account digits.

    Valid or not: a mistyped IBAN is as personal as a correct one. Hex ids and tokens that
    happen to start with two letters and two digits are left alone by the length check.
    """
    compact = _SEPARATORS.sub("", candidate).upper()
    length = expected_length(compact[:2])
    if length is None or abs(len(compact) - length) > LENGTH_TOLERANCE:
        return False
    return sum(ch.isdigit() for ch in compact[4:]) >= 6


def mask_ibans(text: str) -> str:
    return IBAN_SHAPE.sub(
        lambda m: mask_iban_like(m.group(0)) if _looks_like_iban(m.group(0)) else m.group(0),
        text,
    )


def redact(value: Any) -> Any:
    """Returns a copy of a JSON-like structure with every string passed through `mask_ibans`."""
    if isinstance(value, str):
        return mask_ibans(value)
    if isinstance(value, dict):
        return {key: redact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value
