"""The dashboard's numbers, computed from conversation summaries."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from console.conversation import Summary

DAYS = 30
TOP_INTENTS = 10


@dataclass(frozen=True)
class Stats:
    per_day: list[tuple[str, float]]
    fallback_rate_per_day: list[tuple[str, float]]
    top_intents: list[tuple[str, float]]
    conversations: int
    fallback_rate: float
    payments: int
    service_requests: int
    feedback_positive: int
    feedback_negative: int

    @property
    def feedback_ratio(self) -> float | None:
        total = self.feedback_positive + self.feedback_negative
        return None if total == 0 else round(100 * self.feedback_positive / total, 1)


def _day(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).date().isoformat()


def compute(summaries: Sequence[Summary], now: float) -> Stats:
    today = dt.datetime.fromtimestamp(now, dt.timezone.utc).date()
    days = [(today - dt.timedelta(days=back)).isoformat() for back in range(DAYS - 1, -1, -1)]
    started: Counter[str] = Counter(_day(s.first) for s in summaries)
    failed: Counter[str] = Counter(_day(s.first) for s in summaries if s.fallback)
    intents: Counter[str] = Counter(intent for s in summaries for intent in s.intents)
    total = len(summaries)
    with_fallback = sum(s.fallback for s in summaries)
    return Stats(
        per_day=[(day[5:], started[day]) for day in days],
        fallback_rate_per_day=[
            (day[5:], round(100 * failed[day] / started[day], 1) if started[day] else 0.0)
            for day in days
        ],
        top_intents=[(name, count) for name, count in intents.most_common(TOP_INTENTS)],
        conversations=total,
        fallback_rate=round(100 * with_fallback / total, 1) if total else 0.0,
        payments=sum(s.payment_completed for s in summaries),
        service_requests=sum(len(s.service_requests) for s in summaries),
        feedback_positive=sum(s.feedback == "positive" for s in summaries),
        feedback_negative=sum(s.feedback == "negative" for s in summaries),
    )
