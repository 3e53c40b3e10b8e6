"""TARGET2 business days: the days on which a SEPA direct debit can be settled.

The calendar is the `holidays` package's ECB/TARGET2 one (weekends, 1 January, Good Friday,
Easter Monday, 1 May, 25 and 26 December), so no list of closing days is written by hand.

>>> import datetime as dt
>>> on_or_after(dt.date(2026, 12, 25))  # Christmas, then a weekend
datetime.date(2026, 12, 28)
>>> on_or_after(dt.date(2027, 2, 15))
datetime.date(2027, 2, 15)
>>> is_business_day(dt.date(2027, 3, 26))  # Good Friday
False
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _closed(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.financial_holidays("XECB", years=year))


def is_business_day(day: dt.date) -> bool:
    return day.isoweekday() <= 5 and day not in _closed(day.year)


def on_or_after(day: dt.date) -> dt.date:
    """The day itself when TARGET2 is open, else the next day it is."""
    while not is_business_day(day):
        day += dt.timedelta(days=1)
    return day
