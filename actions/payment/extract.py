"""Finding the values of the payment form in what the citizen wrote, in any order.

Entities from the NLU come first (the form base reads them); these finders read values from the
text in any message.

>>> find_iban("meine IBAN: DE89 3704 0044 0532 0130 00, Betrag 48,00")
'DE89370400440532013000'
>>> find_iban("GB29 NWBK 6016 1331 9268 19 bitte")
'GB29NWBK60161331926819'
>>> find_iban("de89.3704.0044.0532.0130.0")  # a digit short: still the candidate, for the error
'DE8937040044053201300'
>>> find_iban("Kassenzeichen 4100.2026.0001") is None
True
>>> find_kassenzeichen("Kassenzeichen 4100.2026.0001, 48,00 Euro")
'4100.2026.0001'
>>> find_kassenzeichen("DE89 3704 0044 0532 0130 00") is None
True
>>> find_signing_code("Der Code ist 123 456.")
'123456'
>>> find_email("an erika@example.de bitte")
'erika@example.de'
>>> strip_name_phrase("Mein Name ist Erika Mustermann")
'Erika Mustermann'
"""

from __future__ import annotations

import re

from actions import keywords
from rules import iban as iban_validator

_TOKEN_SPLIT = re.compile(r"[\s.,;:!?()\[\]/\-]+")
_IBAN_START = re.compile(r"[A-Za-z]{2}[0-9]{2}[A-Za-z0-9]*")
_GROUP = re.compile(r"[A-Za-z0-9]{1,4}")
MIN_IBAN_LENGTH = 12

# Not inside an IBAN's digit groups: no digit right before or after a separator at either end.
_KASSENZEICHEN = re.compile(
    r"(?<![0-9A-Za-z.])(?<![0-9][. ])[0-9]{4}[. ]?[0-9]{4}[. ]?[0-9]{4}"
    r"(?![0-9A-Za-z])(?![. ]?[0-9])"
)
_SIGNING_CODE = re.compile(r"(?<![0-9])[0-9]{3}[ -]?[0-9]{3}(?![0-9])")
_EMAIL = re.compile(r"[^\s<>()\[\],;:]+@[^\s<>()\[\],;:]+\.[A-Za-z]{2,63}")


def find_iban(text: str) -> str | None:
    """The IBAN-like run of letter and digit groups in the text, compact, or None.

    The longest run that validates wins; without one the longest run is returned, so that the
    citizen hears what is wrong with it.
    """
    tokens = [token for token in _TOKEN_SPLIT.split(text) if token]
    for start, token in enumerate(tokens):
        if not _IBAN_START.fullmatch(token):
            continue
        run = _run_from(tokens, start)
        candidates = ["".join(run[:end]) for end in range(len(run), 0, -1)]
        candidates = [c.upper() for c in candidates if len(c) >= MIN_IBAN_LENGTH]
        if not candidates:
            continue
        return next((c for c in candidates if iban_validator.is_valid(c)), candidates[0])
    return None


def _run_from(tokens: list[str], start: int) -> list[str]:
    """The token at ``start`` and the groups of up to four characters that follow it."""
    run = [tokens[start]]
    length = len(tokens[start])
    for token in tokens[start + 1 :]:
        has_digit = any(char.isdigit() for char in token)
        # Bank codes of GB, NL, … are letters; later groups hold account digits.
        if not _GROUP.fullmatch(token) or (not has_digit and len(run) > 2):
            break
        if length + len(token) > 34:
            break
        run.append(token)
        length += len(token)
    return run


def find_kassenzeichen(text: str) -> str | None:
    match = _KASSENZEICHEN.search(text)
    return match.group(0) if match else None


def find_signing_code(text: str) -> str | None:
    match = _SIGNING_CODE.search(text)
    return re.sub(r"[ -]", "", match.group(0)) if match else None


def find_email(text: str) -> str | None:
    match = _EMAIL.search(text)
    return match.group(0) if match else None


def strip_name_phrase(text: str) -> str:
    """Drop "Mein Name ist", "my name is", … (``data/keywords``) in front of a name."""
    phrases = keywords.pattern("name_phrases").pattern
    return re.sub(rf"^(?:{phrases})\s+", "", text.strip(), count=1, flags=re.IGNORECASE).strip()
