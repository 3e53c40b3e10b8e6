"""The demo invoices' dates as the portal under test sees them.

The portal moves the dates of data/demo/invoices.yml by the days between the reference date in
data/demo/portal.yml and the day it loaded them (`portal.demo`). The tests read that distance
back from the running portal (a session may outlast midnight), so they pass on any day and
with the clock moved (BUERGERBOT_NOW, BUERGERBOT_CLOCK_OFFSET_DAYS).
"""

from __future__ import annotations

import datetime as dt

from portal_harness import PortalProcess

import clock
from portal import business_days

# one invoice of the demo file, as written there
PROBE = {"kassenzeichen": "4100.2026.0001", "amount": "48.00"}
PROBE_DUE = dt.date(2026, 12, 15)
_shifts: dict[str, dt.timedelta] = {}


def today() -> dt.date:
    return clock.from_env().today()


def shift(portal: PortalProcess) -> dt.timedelta:
    """How far the portal moved the demo dates when it loaded them."""
    if portal.url not in _shifts:
        found = portal.client().post("/api/v1/invoices/lookup", json=PROBE)
        assert found.status_code == 200, found.text
        _shifts[portal.url] = dt.date.fromisoformat(found.json()["due_date"]) - PROBE_DUE
    return _shifts[portal.url]


def shifted(portal: PortalProcess, written: str) -> dt.date:
    """A date as written in invoices.yml, moved like the portal moved it."""
    return dt.date.fromisoformat(written) + shift(portal)


def collection_day(portal: PortalProcess, written: str, notice_days: int = 14) -> dt.date:
    """The collection date the portal plans for that due date when a mandate is signed today."""
    due = shifted(portal, written)
    return business_days.on_or_after(max(due, today() + dt.timedelta(days=notice_days)))
