"""The conversation list's filters, read from the query string and applied to summaries.

>>> f = Filters.from_args({"fallback": ["1"], "language": ["en"], "page": ["x"], "q": "müll"})
>>> (f.fallback, f.language, f.page, f.q)
(True, 'en', 1, 'müll')
>>> day_start("2026-03-01") is not None, day_start("01.03.2026")
(True, None)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from urllib.parse import urlencode

from console.conversation import Summary

PAGE_SIZE = 25
MAX_QUERY = 200


def day_start(text: str) -> float | None:
    """Midnight UTC of an ISO date (what `<input type=date>` sends), or None."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc).timestamp()


def _first(args: Mapping[str, Sequence[str]], name: str) -> str:
    """The first value of a query parameter (sanic's `get` already gives the first one)."""
    values = args.get(name) or ""
    first = values if isinstance(values, str) else (values[0] if values else "")
    return str(first).strip()[:MAX_QUERY]


@dataclass
class Filters:
    date_from: str = ""
    date_to: str = ""
    channel: str = ""
    language: str = ""
    intent: str = ""
    fallback: bool = False
    low_confidence: bool = False
    handoff: bool = False
    feedback: str = ""  # positive | negative | any
    status: str = ""
    tag: str = ""
    q: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, Sequence[str]]) -> Filters:
        page = _first(args, "page")
        return cls(
            date_from=_first(args, "date_from"),
            date_to=_first(args, "date_to"),
            channel=_first(args, "channel"),
            language=_first(args, "language"),
            intent=_first(args, "intent"),
            fallback=_first(args, "fallback") == "1",
            low_confidence=_first(args, "low_confidence") == "1",
            handoff=_first(args, "handoff") == "1",
            feedback=_first(args, "feedback"),
            status=_first(args, "status"),
            tag=_first(args, "tag").casefold(),
            q=_first(args, "q"),
            page=int(page) if page.isdigit() and int(page) > 0 else 1,
        )

    @property
    def since(self) -> float | None:
        return day_start(self.date_from)

    @property
    def until(self) -> float | None:
        start = day_start(self.date_to)
        return None if start is None else start + 86400

    def query(self, page: int) -> str:
        """The query string of these filters on another page."""
        values: dict[str, str | int] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool):
                if value:
                    values[item.name] = "1"
            elif value and item.name != "page":
                values[item.name] = value
        values["page"] = page
        return urlencode(values)


def _feedback_matches(wanted: str, summary: Summary) -> bool:
    if wanted == "any":
        return summary.feedback is not None
    return summary.feedback == wanted


def matches(f: Filters, s: Summary, status: str, tags: set[str]) -> bool:
    checks = [
        not f.channel or s.channel == f.channel,
        not f.language or s.language == f.language,
        not f.intent or f.intent in s.intents,
        not f.fallback or s.fallback,
        not f.low_confidence or s.low_confidence,
        not f.handoff or s.handoff,
        not f.feedback or _feedback_matches(f.feedback, s),
        not f.status or status == f.status,
        not f.tag or f.tag in tags,
        not f.q or s.matches_text(f.q),
    ]
    return all(checks)
