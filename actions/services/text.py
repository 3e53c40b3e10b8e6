"""Text folding for matching what citizens type against names in the data.

>>> fold("Öffnungszeiten Bürgerbüro?")
'oeffnungszeiten buergerbuero'
>>> fold("Straße")
'strasse'
"""

from __future__ import annotations

import re

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_NOT_WORD = re.compile(r"[^a-z0-9@.\- ]+")
_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower case, umlauts as ae/oe/ue, punctuation as space, single spaces."""
    folded = text.lower().translate(_UMLAUTS).replace("'", "")
    return _SPACE.sub(" ", _NOT_WORD.sub(" ", folded)).strip(" .-")


def contains_words(text: str, phrase: str) -> bool:
    """Whether ``phrase`` (folded) starts at a word start in ``text`` (folded).

    >>> contains_words("was kostet ein reisepass", "pass")
    False
    >>> contains_words("was kostet ein pass", "pass")
    True
    >>> contains_words("kosten reisepass", "kost")
    True
    """
    return re.search(r"(?<![a-z0-9])" + re.escape(fold(phrase)), fold(text)) is not None
