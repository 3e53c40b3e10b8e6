"""Dates as people write them: "12.3.", "31.12.2026", "morgen", "nächsten Dienstag", "3. Dezember".

Numeric dates are read here (so "31.02." is reported as impossible, not as "not understood");
weekday names too (dateparser 1.2 does not read "nächsten Dienstag"); the rest goes to
dateparser in German and English. A date without a year is the next one (``prefer="future"``)
or the last one (``prefer="past"``) seen from ``today``.

>>> from datetime import date
>>> today = date(2026, 11, 28)  # a Saturday
>>> parse("12.3.", today, "future"), parse("12.3.", today, "past")
(datetime.date(2027, 3, 12), datetime.date(2026, 3, 12))
>>> parse("nächsten Dienstag", today, "future"), parse("next friday", today, "future")
(datetime.date(2026, 12, 1), datetime.date(2026, 12, 4))
>>> parse("morgen", today, "future"), parse("seit gestern", today, "past")
(datetime.date(2026, 11, 29), datetime.date(2026, 11, 27))
>>> try:
...     parse("31.02.", today, "future")
... except DateError as error:
...     print(error.code)
impossible
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Literal

import dateparser

from actions import keywords
from actions.services.text import fold
from rules.errors import InputError

Prefer = Literal["future", "past"]
_NUMERIC = re.compile(
    r"(?<![0-9])([0-9]{1,2})\.\s?([0-9]{1,2})\.(?:\s?([0-9]{4}|[0-9]{2}))?(?![0-9])"
)
_ISO = re.compile(r"(?<![0-9])([0-9]{4})-([0-9]{2})-([0-9]{2})(?![0-9])")


class DateError(InputError):
    """Codes: ``empty``, ``unknown`` (not read as a date), ``impossible`` (such as 31.02.)."""


def parse(text: str, today: date, prefer: Prefer) -> date:
    """The date in ``text``; raises ``DateError``."""
    if not text.strip():
        raise DateError("no date given", code="empty")
    found = _numeric(text, today, prefer) or _weekday(text, today, prefer)
    if found is not None:
        return found
    return _dateparser(text, today, prefer)


def _numeric(text: str, today: date, prefer: Prefer) -> date | None:
    iso = _ISO.search(text)
    if iso:
        return _make(int(iso[1]), int(iso[2]), int(iso[3]))
    match = _NUMERIC.search(text)
    if match is None:
        return None
    day, month = int(match[1]), int(match[2])
    if match[3]:
        year = int(match[3])
        if year < 100:  # "85" is 1985 for an event, "27" is 2027 for a pickup
            year += 2000 if prefer == "future" or 2000 + year <= today.year else 1900
        return _make(year, month, day)
    candidate = _make(2000 if (month, day) == (2, 29) else today.year, month, day)
    for year in (today.year, today.year + 1, today.year - 1, today.year + 4, today.year - 4):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if (prefer == "future") == (candidate >= today):
            return candidate
    return candidate


def _make(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise DateError(f"no such date: {day}.{month}.{year}", code="impossible") from exc


def _words(name: str) -> re.Pattern[str]:
    """A keyword list of ``data/keywords`` as one pattern of whole words."""
    found = "|".join(re.escape(word) for word in keywords.words(name))  # a list or a table's keys
    return re.compile(rf"\b({found})\b", re.IGNORECASE) if found else re.compile(r"(?!)")


def _weekday(text: str, today: date, prefer: Prefer) -> date | None:
    # Weekday names (folded: "montag", "monday") and their numbers, Monday = 0.
    match = _words("weekdays").search(fold(text))
    if match is None:
        return None
    weekday = int(keywords.table("weekdays")[match[1].lower()])
    days = (weekday - today.weekday()) % 7
    if prefer == "past":
        return today - timedelta(days=(today.weekday() - weekday) % 7 or 7)
    return today + timedelta(days=days or 7)


def _dateparser(text: str, today: date, prefer: Prefer) -> date:
    # Words around a date that dateparser does not read: "seit gestern", "since yesterday".
    text = " ".join(_words("date_fillers").sub(" ", text).split()) or text
    base = datetime(today.year, today.month, today.day, 12, 0)
    settings = {
        "PREFER_DATES_FROM": prefer,
        "DATE_ORDER": "DMY",
        "RELATIVE_BASE": base,
        "PREFER_DAY_OF_MONTH": "first",
    }
    parsed = dateparser.parse(text, languages=["de", "en"], settings=settings)  # type: ignore[arg-type]
    if parsed is None:
        raise DateError(f"not a date: {text!r}", code="unknown")
    day: date = parsed.date()
    return day
