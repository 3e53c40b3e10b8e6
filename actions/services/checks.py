"""Small pure checks of what citizens type into the service forms; each raises ``InputError``
with a stable ``code`` that the form turns into a specific message.

>>> reference(" sr-2026-000123 "), reference("sr 2026 7kqm 4xdx")
('SR-2026-000123', 'SR-2026-7KQM-4XDX')
>>> copies("zwei"), copies("3 Stück")
(2, 3)
>>> items("Sofa, zwei Stühle und ein Schrank")
['Sofa', 'zwei Stühle', 'ein Schrank']
>>> contact("0176 1234567"), contact("erika@example.de")
('0176 1234567', 'erika@example.de')
>>> try:
...     reference("123")
... except InputError as error:
...     print(error.code)
format
"""

from __future__ import annotations

import re

from actions import keywords
from rules import email as email_validator
from rules import request_reference
from rules.errors import InputError

REFERENCE = re.compile(request_reference.PATTERN)
MAX_DESCRIPTION = 1000
MAX_ITEMS = 30
MAX_COPIES = 10
_PHONE = re.compile(r"\+?[0-9][0-9 /()-]{5,22}[0-9]")
_NAME = re.compile(r"[^\W\d_]+(?:[ '.-]+[^\W\d_]+)*\.?")


def _item_separators() -> re.Pattern[str]:
    """Commas, semicolons, new lines and the list words of ``data/keywords`` ("und", "and")."""
    words = [rf"\b{re.escape(word)}\b" for word in keywords.words("list_words")]
    return re.compile(r"\s*(?:" + "|".join([",", ";", "\n", *words]) + r")\s*", re.IGNORECASE)


def find_reference(text: str) -> str | None:
    """A reference in free text, written loosely ("sr 2026 7kqm 4xdx"), as issued.

    >>> find_reference("was ist mit SR-2026-000123?"), find_reference("stand von sr2026 7kqm4xdx")
    ('SR-2026-000123', 'SR-2026-7KQM-4XDX')
    """
    match = request_reference.FIND_PATTERN.search(text)
    if match is None:
        return None
    written = f"SR-{match[1]}-{match[2]}"
    # a typo is still a reference here: the check below says what is wrong with it
    try:
        return request_reference.validate(written)
    except InputError:
        return written.upper()


def reference(value: str) -> str:
    """``SR-YYYY-XXXX-XXXX`` (or the older ``SR-YYYY-NNNNNN``); codes ``empty``, ``format``,
    ``checksum`` (a symbol mistyped: said before the portal is asked)."""
    text = value.strip()
    if not text:
        raise InputError("no reference given", code="empty")
    found = find_reference(text)
    if found is None:
        raise InputError(f"not a reference: {text!r}", code="format")
    return request_reference.validate(found)


def person_name(value: str) -> str:
    """A person's name: letters, spaces, hyphens, apostrophes; 2–100 characters.

    >>> person_name("  Erika   Mustermann ")
    'Erika Mustermann'
    """
    text = " ".join(value.split())
    if len(text) < 2:
        raise InputError("name too short", code="too_short")
    if len(text) > 100:
        raise InputError("name too long", code="too_long")
    if not _NAME.fullmatch(text):
        raise InputError("not a name", code="invalid")
    return text


def short_text(value: str, limit: int) -> str:
    """One line of 2–``limit`` characters; codes ``too_short``, ``too_long``."""
    text = " ".join(value.split())
    if len(text) < 2:
        raise InputError("too short", code="too_short")
    if len(text) > limit:
        raise InputError("too long", code="too_long")
    return text


def description(value: str) -> str:
    """A description of 10 to ``MAX_DESCRIPTION`` characters; codes ``too_short``, ``too_long``.

    >>> len(description("x" * 2000))
    Traceback (most recent call last):
    ...
    rules.errors.InputError: description too long: 2000 characters
    """
    text = value.strip()
    if len(text) > MAX_DESCRIPTION:
        raise InputError(f"description too long: {len(text)} characters", code="too_long")
    if len(text) < 10:
        raise InputError("description too short", code="too_short")
    return text


def copies(value: str) -> int:
    """A number of copies, 1–10, in digits or words; codes ``invalid``, ``range``."""
    text = value.strip().lower()
    digits = re.search(r"[0-9]+", text)
    if digits:
        number = int(digits[0])
    else:
        table = keywords.table("number_words")  # "zwei", "two", … from data/keywords
        words = [int(table[w]) for w in re.findall(r"\w+", text) if w in table]
        if not words:
            raise InputError(f"not a number: {value!r}", code="invalid")
        number = words[0]
    if not 1 <= number <= MAX_COPIES:
        raise InputError(f"{number} copies", code="range")
    return number


def items(value: str) -> list[str]:
    """The things to collect, split at commas and "und"; codes ``empty``, ``too_many``,
    ``too_long``."""
    parts = [part.strip(" .") for part in _item_separators().split(value)]
    found = [part for part in parts if part]
    if not found:
        raise InputError("no items", code="empty")
    if len(found) > MAX_ITEMS:
        raise InputError("too many items", code="too_many")
    if any(len(part) > 100 for part in found):
        raise InputError("item too long", code="too_long")
    return found


def contact(value: str) -> str:
    """A phone number or an e-mail address; code ``invalid``."""
    text = value.strip()
    if "@" in text:
        try:
            return email_validator.validate(text)
        except InputError as exc:
            raise InputError("not an e-mail address", code="invalid") from exc
    match = _PHONE.search(text)
    if match is None or sum(char.isdigit() for char in match[0]) < 6:
        raise InputError("neither phone nor e-mail", code="invalid")
    return match[0].strip()
