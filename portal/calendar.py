"""Demo calendars from ``data/demo/portal.yml``: Stadtbüro slots and bulky waste pickup days.

Slot ids name the service and the local start time (``id_card-20261130T0800``), so a booking
can be checked against the calendar without storing the free slots.

>>> parse_slot_id('id_card-20261130T0815')
('id_card', datetime.datetime(2026, 11, 30, 8, 15))
>>> parse_slot_id('nonsense') is None
True
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

_SLOT_ID = re.compile(r"(?P<service>[a-z_]{1,20})-(?P<start>[0-9]{8}T[0-9]{4})")


@dataclass(frozen=True)
class Slot:
    id: str
    service: str
    start: dt.datetime  # aware, local time
    end: dt.datetime


def parse_slot_id(slot_id: str) -> tuple[str, dt.datetime] | None:
    found = _SLOT_ID.fullmatch(slot_id)
    if not found:
        return None
    try:
        start = dt.datetime.strptime(found["start"], "%Y%m%dT%H%M")
    except ValueError:
        return None
    return found["service"], start


def slots(config: dict[str, Any], service: str, now: dt.datetime) -> list[Slot]:
    """Every slot of the service from now on for the configured number of days."""
    zone = ZoneInfo(str(config["timezone"]))
    length = dt.timedelta(minutes=int(config["slot_minutes"]))
    hours: dict[int, list[list[str]]] = {int(k): v for k, v in config["opening_hours"].items()}
    local_now = now.astimezone(zone)
    result: list[Slot] = []
    for offset in range(int(config["days_ahead"]) + 1):
        day = local_now.date() + dt.timedelta(days=offset)
        for opens, closes in hours.get(day.isoweekday(), []):
            start = dt.datetime.combine(day, dt.time.fromisoformat(opens), zone)
            close = dt.datetime.combine(day, dt.time.fromisoformat(closes), zone)
            while start + length <= close:
                if start > local_now:
                    slot_id = f"{service}-{start:%Y%m%dT%H%M}"
                    result.append(Slot(slot_id, service, start, start + length))
                start += length
    return result


def pickup_days(config: dict[str, Any], today: dt.date) -> list[dt.date]:
    """Bulky waste pickup days in the booking window."""
    weekdays = {int(d) for d in config["weekdays"]}
    first = today + dt.timedelta(days=int(config["min_days_ahead"]))
    last = today + dt.timedelta(days=int(config["days_ahead"]))
    days = (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
    return [day for day in days if day.isoweekday() in weekdays]
