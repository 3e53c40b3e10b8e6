"""Masks IBANs before anything is written to the tracker store or shown to staff.

The assistant never stores an IBAN in clear (docs/security.md). Citizens type IBANs freely, so
the masking cannot rely on slots or entities alone: every string of every event is scanned, and
dictionary keys too. The finder is the payment form's own (``rules.iban.find_all``): whatever the
form would take as an IBAN, valid or a near miss, is masked here (tests/rules/test_iban_finder.py).

>>> mask_ibans("meine iban ist DE89 3704 0044 0532 0130 00 danke")
'meine iban ist DE89 **** **** **** **30 00 danke'
>>> mask_ibans("de89370400440532013000")
'DE89 **** **** **** **30 00'
>>> mask_ibans("IBAN: DE89\u00a03704\u00a00044\u00a00532\u00a00130\u00a000")  # a paste
'IBAN: DE89 **** **** **** **30 00'
>>> mask_ibans("Kassenzeichen 4100.2026.0001, 48,00 Euro")
'Kassenzeichen 4100.2026.0001, 48,00 Euro'
>>> mask_ibans("de89 3704 0044 0532 0130 0")  # one digit missing: still an IBAN to the citizen
'DE89 **** **** **** *130 0'
>>> mask_ibans("mandate de12a4f0c9e84b7f9a1c2d3e4f5a6b7c")  # a hex id, far from DE's 22
'mandate de12a4f0c9e84b7f9a1c2d3e4f5a6b7c'
>>> redact({"text": "GB29NWBK60161331926819", "n": 1, "l": ["ok"]})
{'text': 'GB29 **** **** **** **68 19', 'n': 1, 'l': ['ok']}
>>> redact({"DE89 3704 0044 0532 0130 00": True})
{'DE89 **** **** **** **30 00': True}
"""

from __future__ import annotations

import re
from typing import Any

from rules.iban import find_all, mask_all

_ACCOUNT_CHARACTER = re.compile(r"[A-Za-z0-9]")


def mask_ibans(text: str) -> str:
    """The text with every IBAN the payment form would take masked (``rules.iban.mask_all``)."""
    return mask_all(text)


def redact(value: Any) -> Any:
    """A copy of a JSON-like structure with every string and every key passed through
    ``mask_ibans``; entities read from an IBAN's characters are masked as a whole."""
    if isinstance(value, str):
        return mask_ibans(value)
    if isinstance(value, dict):
        value = _entities_masked(value)
        return {redact(key): redact(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(item) for item in value]
    return value


def _entities_masked(message: dict[Any, Any]) -> dict[Any, Any]:
    """A message (a user event or its parse data) whose entities overlapping an IBAN in its
    text have every letter and digit of their value replaced by ``*``.

    The NLU may read part of an IBAN as another entity ("3704 0044 0532" as a Kassenzeichen
    when the groups are split by a slash); that part alone no longer looks like an IBAN.

    >>> _entities_masked({"text": "DE89/3704/0044/0532/0130/00", "entities": [
    ...     {"entity": "kassenzeichen", "start": 5, "end": 19, "value": "3704/0044/0532"}]})
    ... # doctest: +NORMALIZE_WHITESPACE
    {'text': 'DE89/3704/0044/0532/0130/00', 'entities': [{'entity': 'kassenzeichen', 'start': 5,
     'end': 19, 'value': '****/****/****'}]}
    """
    text, entities = message.get("text"), message.get("entities")
    if not isinstance(text, str) or not isinstance(entities, list):
        return message
    spans = [(found.start, found.end) for found in find_all(text)]
    if not spans:
        return message
    masked = []
    for entity in entities:
        if isinstance(entity, dict) and _overlaps(entity, spans):
            value = entity.get("value")
            hidden = _ACCOUNT_CHARACTER.sub("*", value) if isinstance(value, str) else "****"
            entity = {**entity, "value": hidden}
        masked.append(entity)
    return {**message, "entities": masked}


def _overlaps(entity: dict[Any, Any], spans: list[tuple[int, int]]) -> bool:
    start, end = entity.get("start"), entity.get("end")
    if not isinstance(start, int) or not isinstance(end, int):
        return False
    return any(start < span_end and span_start < end for span_start, span_end in spans)
