"""The demo invoices' dates as the portal under test sees them.

The portal moves the dates of data/demo/invoices.yml by the days between the reference date in
data/demo/portal.yml and the day it loads them (`portal.demo`); the tests compute the same
dates with the same clock, so they pass on any day (and with the clock moved, BUERGERBOT_NOW).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import clock
from portal import business_days, demo

ROOT = Path(__file__).resolve().parents[2]


def today() -> dt.date:
    return clock.from_env().today()


def shifted(written: str) -> dt.date:
    """A date as written in invoices.yml, moved like the portal moves it."""
    config = demo.portal_config(ROOT / "data" / "demo" / "portal.yml")
    return dt.date.fromisoformat(written) + (today() - demo.reference_date(config))


def collection_day(written: str, notice_days: int = 14) -> dt.date:
    """The collection date the portal plans for that due date when a mandate is signed today."""
    due = shifted(written)
    return business_days.on_or_after(max(due, today() + dt.timedelta(days=notice_days)))
