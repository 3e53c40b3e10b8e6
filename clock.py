"""The one injectable clock of every process: the real time, unless a setting fixes it.

Behaviour that depends on the time (service hours, a code's lifetime, due dates) must be
testable on any day at any hour, also in a whole system whose services run as separate
processes. So the services ask a `Clock` (or the module's `now()`) instead of `datetime.now()`,
and settings can replace the real time:

- `BUERGERBOT_CLOCK_FILE`: a file holding an ISO 8601 instant. While the file exists, the time
  is that instant; it is read at each call, so a test can move the time of a running system
  (`set_time`) and give the real time back (`real_time`). No file: the real time.
- `BUERGERBOT_NOW`: a fixed ISO 8601 instant for the whole life of a process.
- `BUERGERBOT_CLOCK_OFFSET_DAYS`: whole days (may be negative) added to the real time: time
  goes on, a year ahead with 365 (running a suite "on another day", code lifetimes included).

Neither is set in production. Only the standard library, so the action server, the portal and
the Rasa side can all import it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

NOW_SETTING = "BUERGERBOT_NOW"
FILE_SETTING = "BUERGERBOT_CLOCK_FILE"
OFFSET_SETTING = "BUERGERBOT_CLOCK_OFFSET_DAYS"
# The city's time zone: its dates (due dates, "today") are counted in it.
CITY_ZONE = ZoneInfo("Europe/Berlin")


def parse_instant(text: str) -> datetime:
    """An aware datetime from ISO 8601; an instant without an offset is read as UTC.

    >>> parse_instant("2026-05-12T10:00:00+02:00").isoformat()
    '2026-05-12T10:00:00+02:00'
    >>> parse_instant(" 2026-05-12T08:00:00 ").isoformat()
    '2026-05-12T08:00:00+00:00'
    >>> parse_instant("tomorrow")
    Traceback (most recent call last):
    ...
    ValueError: not an ISO 8601 instant: 'tomorrow'
    """
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not an ISO 8601 instant: {text.strip()!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Clock:
    """The time: `fixed` if given, else the instant in `file` while it exists, else the real
    time moved by `offset`.

    >>> fixed = Clock(fixed=parse_instant("2026-05-17T23:30:00+00:00"))
    >>> fixed.now().isoformat(), fixed.utcnow().isoformat(), fixed.today().isoformat()
    ('2026-05-17T23:30:00+00:00', '2026-05-17T23:30:00', '2026-05-18')
    >>> Clock().now().tzinfo
    datetime.timezone.utc
    """

    fixed: datetime | None = None
    file: Path | None = None
    zone: ZoneInfo = field(default=CITY_ZONE)
    offset: timedelta = timedelta(0)  # added to the real time only

    def now(self) -> datetime:
        """The current instant, aware (UTC unless the setting gives another offset)."""
        if self.fixed is not None:
            return self.fixed
        if self.file is not None:
            try:
                text = self.file.read_text(encoding="utf-8")
            except FileNotFoundError:
                text = ""
            if text.strip():
                return parse_instant(text)
        return datetime.now(timezone.utc) + self.offset

    def utcnow(self) -> datetime:
        """Naive UTC in whole seconds: the form the databases store."""
        return self.now().astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)

    def today(self) -> date:
        """The city's date now."""
        return self.now().astimezone(self.zone).date()


def from_env(env: Mapping[str, str] | None = None) -> Clock:
    """The clock the settings ask for (see the module's text).

    >>> from_env({NOW_SETTING: "2026-05-17T12:00:00+02:00"}).now().isoformat()
    '2026-05-17T12:00:00+02:00'
    >>> from_env({}) == Clock()
    True
    >>> from_env({OFFSET_SETTING: "365"}).now() - now({}) > timedelta(days=364)
    True
    """
    settings = os.environ if env is None else env
    fixed = settings.get(NOW_SETTING)
    path = settings.get(FILE_SETTING)
    return Clock(
        fixed=parse_instant(fixed) if fixed else None,
        file=Path(path) if path else None,
        offset=_offset_days(settings.get(OFFSET_SETTING, "")),
    )


def _offset_days(text: str) -> timedelta:
    """
    >>> _offset_days(" -2 "), _offset_days("")
    (datetime.timedelta(days=-2), datetime.timedelta(0))
    >>> _offset_days("soon")
    Traceback (most recent call last):
    ...
    ValueError: BUERGERBOT_CLOCK_OFFSET_DAYS must be a whole number of days, not 'soon'
    """
    text = text.strip()
    if not text:
        return timedelta(0)
    try:
        return timedelta(days=int(text))
    except ValueError:
        raise ValueError(f"{OFFSET_SETTING} must be a whole number of days, not {text!r}") from None


def now(env: Mapping[str, str] | None = None) -> datetime:
    """The current instant by the settings of this process (or `env`).

    >>> now({NOW_SETTING: "2026-05-17T12:00:00+02:00"}).isoformat()
    '2026-05-17T12:00:00+02:00'
    """
    return from_env(env).now()


def set_time(path: Path, moment: datetime) -> None:
    """Fixes the time of every process whose `BUERGERBOT_CLOCK_FILE` is `path`.

    Written to a temporary file and renamed, so a process never reads half an instant.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     file = Path(folder) / "clock"
    ...     set_time(file, parse_instant("2026-05-17T12:00:00+02:00"))
    ...     fixed = now({FILE_SETTING: str(file)}).isoformat()
    ...     real_time(file)
    ...     gone = not file.exists()
    >>> fixed, gone
    ('2026-05-17T12:00:00+02:00', True)
    """
    if moment.tzinfo is None:
        raise ValueError("set_time needs an aware datetime")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(moment.isoformat(), encoding="utf-8")
    partial.replace(path)


def real_time(path: Path) -> None:
    """Gives the processes reading `path` the real time back."""
    path.unlink(missing_ok=True)
