"""Latency statistics: percentiles per kind of turn and throughput.

Percentiles interpolate linearly between the two nearest ranks (numpy's default), so that a
p99 of few samples is not simply the maximum.

>>> percentile([10.0, 20.0, 30.0, 40.0], 50)
25.0
>>> percentile([5.0], 99)
5.0
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TurnResult:
    """One message and its reply, as the simulated citizen saw it."""

    kind: str
    started: float  # monotonic seconds
    latency_ms: float
    error: str | None = None


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        raise ValueError("no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} outside 0..100")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class KindSummary:
    count: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    @classmethod
    def of(cls, latencies: Sequence[float]) -> KindSummary:
        return cls(
            count=len(latencies),
            p50_ms=percentile(latencies, 50),
            p95_ms=percentile(latencies, 95),
            p99_ms=percentile(latencies, 99),
            max_ms=max(latencies),
        )


@dataclass
class PhaseSummary:
    """A load phase: how many turns per second, and how fast each kind of turn was answered."""

    concurrency: int
    conversations: int
    turns: int
    errors: int
    seconds: float
    turns_per_second: float
    overall: KindSummary | None
    kinds: dict[str, KindSummary] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)


MAX_ERROR_SAMPLES = 10


def summarize(
    results: Iterable[TurnResult], concurrency: int, conversations: int, seconds: float
) -> PhaseSummary:
    """Only answered turns count towards latency; errors are counted and a few kept as samples.

    >>> s = summarize([TurnResult("greet", 0, 10), TurnResult("faq", 0, 30),
    ...                TurnResult("faq", 0, 50, error="timeout")], 1, 1, 2.0)
    >>> (s.turns, s.errors, s.turns_per_second, s.kinds["faq"].p50_ms, s.error_samples)
    (3, 1, 1.0, 30.0, ['faq: timeout'])
    """
    results = list(results)
    answered = [r for r in results if r.error is None]
    by_kind: dict[str, list[float]] = {}
    for result in answered:
        by_kind.setdefault(result.kind, []).append(result.latency_ms)
    failed = [r for r in results if r.error is not None]
    return PhaseSummary(
        concurrency=concurrency,
        conversations=conversations,
        turns=len(results),
        errors=len(failed),
        seconds=seconds,
        turns_per_second=len(answered) / seconds if seconds > 0 else 0.0,
        overall=KindSummary.of([r.latency_ms for r in answered]) if answered else None,
        kinds={kind: KindSummary.of(values) for kind, values in sorted(by_kind.items())},
        error_samples=[f"{r.kind}: {r.error}" for r in failed[:MAX_ERROR_SAMPLES]],
    )
