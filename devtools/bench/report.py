"""Targets, the table on stdout, and the files under `var/bench/` (JSON and a PNG plot)."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from devtools.bench.scenarios import PORTAL_TURN
from devtools.bench.stats import PhaseSummary, TurnResult

# Issue 9, on a 2-core machine with one replica and SQLite.
MIN_THROUGHPUT_RATIO = 0.8
MAX_SINGLE_P50_MS = 60.0
MAX_MEMORY_BYTES = 1.5e9
MAX_TRAINING_SECONDS = 300.0
MAX_READY_SECONDS = 45.0


@dataclass
class SystemRun:
    """Everything measured on one system (ours or the baseline)."""

    name: str
    ready_seconds: float
    peak_rss_bytes: int
    single: PhaseSummary
    load: PhaseSummary
    training_seconds: float | None = None
    single_results: list[TurnResult] | None = None
    load_results: list[TurnResult] | None = None

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        for raw in ("single_results", "load_results"):
            data.pop(raw)
        data["latencies_ms"] = {
            "single": _latencies(self.single_results or []),
            "load": _latencies(self.load_results or []),
        }
        return data


def _latencies(results: list[TurnResult]) -> dict[str, list[float]]:
    by_kind: dict[str, list[float]] = {}
    for result in results:
        if result.error is None:
            by_kind.setdefault(result.kind, []).append(round(result.latency_ms, 1))
    return by_kind


@dataclass(frozen=True)
class Target:
    name: str
    wanted: str
    value: str
    met: bool | None  # None: not measured in this run (e.g. --no-baseline)

    @property
    def mark(self) -> str:
        return "–" if self.met is None else ("✓" if self.met else "✗")


def ratio(ours: float, baseline: float) -> float | None:
    """Ours over the baseline; None when the baseline measured nothing.

    >>> ratio(3.0, 2.0)
    1.5
    >>> ratio(1.0, 0.0) is None
    True
    """
    return ours / baseline if baseline > 0 else None


def ratios(ours: SystemRun, baseline: SystemRun | None) -> dict[str, float | None]:
    if baseline is None or ours.load.overall is None or baseline.load.overall is None:
        return {}
    return {
        "throughput": ratio(ours.load.turns_per_second, baseline.load.turns_per_second),
        "p50": ratio(ours.load.overall.p50_ms, baseline.load.overall.p50_ms),
        "p95": ratio(ours.load.overall.p95_ms, baseline.load.overall.p95_ms),
        "memory": ratio(ours.peak_rss_bytes, baseline.peak_rss_bytes),
    }


def targets(ours: SystemRun, baseline: SystemRun | None) -> list[Target]:
    found = ratios(ours, baseline)
    throughput = found.get("throughput")
    portal_turn = ours.single.kinds.get(PORTAL_TURN)
    trained = ours.training_seconds
    errors = ours.single.errors + ours.load.errors
    if baseline is not None:
        errors += baseline.single.errors + baseline.load.errors
    return [
        Target(
            "throughput, ours / baseline",
            f"≥ {MIN_THROUGHPUT_RATIO}×",
            "not measured" if throughput is None else f"{throughput:.2f}×",
            None if throughput is None else throughput >= MIN_THROUGHPUT_RATIO,
        ),
        Target(
            f"single-citizen p50 of {PORTAL_TURN}",
            f"≤ {MAX_SINGLE_P50_MS:.0f} ms",
            "not measured" if portal_turn is None else f"{portal_turn.p50_ms:.0f} ms",
            None if portal_turn is None else portal_turn.p50_ms <= MAX_SINGLE_P50_MS,
        ),
        Target("errors (all phases, both systems)", "0", str(errors), errors == 0),
        Target(
            "Rasa server peak memory (ours)",
            f"≤ {MAX_MEMORY_BYTES / 1e9:.1f} GB",
            f"{ours.peak_rss_bytes / 1e6:.0f} MB",
            0 < ours.peak_rss_bytes <= MAX_MEMORY_BYTES,
        ),
        Target(
            "training (ours)",
            f"≤ {MAX_TRAINING_SECONDS / 60:.0f} min",
            "skipped" if trained is None else f"{trained:.0f} s",
            None if trained is None else trained <= MAX_TRAINING_SECONDS,
        ),
        Target(
            "start to ready, model present (ours)",
            f"≤ {MAX_READY_SECONDS:.0f} s",
            f"{ours.ready_seconds:.1f} s",
            ours.ready_seconds <= MAX_READY_SECONDS,
        ),
    ]


def failed(found: list[Target]) -> list[Target]:
    return [target for target in found if target.met is False]


def _fmt(value: float | None, unit: str = "", digits: int = 0) -> str:
    return "–" if value is None else f"{value:.{digits}f}{unit}"


def _kind_rows(run: SystemRun, phase: PhaseSummary) -> list[str]:
    return [
        f"  {run.name:<9} {kind:<22} {k.count:>6} "
        f"{k.p50_ms:>8.0f} {k.p95_ms:>8.0f} {k.p99_ms:>8.0f}"
        for kind, k in phase.kinds.items()
    ]


def table(report: dict[str, Any], ours: SystemRun, baseline: SystemRun | None) -> str:
    m = report["machine"]
    o = report["options"]
    lines = [
        f"buergerbot benchmark, {report['timestamp']}",
        f"machine: {m['cpu_count']} × {m['cpu_model']}, {m['ram_gb']} GB RAM, {m['os']}, "
        f"Python {m['python']}, Rasa {m['rasa']}, "
        f"load average at start {m['load_average_at_start']}",
        f"load: {o['citizens']} concurrent citizens, {ours.load.conversations} conversations "
        f"({ours.load.turns} turns) in {ours.load.seconds:.0f} s; "
        f"single citizen: {ours.single.conversations} conversations",
        "",
    ]
    runs = [run for run in (ours, baseline) if run is not None]
    for title, under_load in (("single citizen", False), (f"{o['citizens']} citizens", True)):
        lines.append(f"latency per kind of turn, {title} (ms)")
        lines.append(f"  {'system':<9} {'kind':<22} {'turns':>6} {'p50':>8} {'p95':>8} {'p99':>8}")
        for run in runs:
            lines.extend(_kind_rows(run, run.load if under_load else run.single))
        lines.append("")

    found = report["ratios"]
    b = baseline
    rows: list[tuple[str, str, str, str]] = [
        (
            "throughput (turns/s)",
            _fmt(ours.load.turns_per_second, digits=1),
            _fmt(b.load.turns_per_second if b else None, digits=1),
            _fmt(found.get("throughput"), "×", 2),
        ),
        (
            "p50, all turns (ms)",
            _fmt(ours.load.overall.p50_ms if ours.load.overall else None),
            _fmt(b.load.overall.p50_ms if b and b.load.overall else None),
            _fmt(found.get("p50"), "×", 2),
        ),
        (
            "p95, all turns (ms)",
            _fmt(ours.load.overall.p95_ms if ours.load.overall else None),
            _fmt(b.load.overall.p95_ms if b and b.load.overall else None),
            _fmt(found.get("p95"), "×", 2),
        ),
        (
            "Rasa server peak memory (MB)",
            _fmt(ours.peak_rss_bytes / 1e6),
            _fmt(b.peak_rss_bytes / 1e6 if b else None),
            _fmt(found.get("memory"), "×", 2),
        ),
        (
            "errors",
            str(ours.single.errors + ours.load.errors),
            str(b.single.errors + b.load.errors) if b else "–",
            "",
        ),
        (
            "start to ready (s)",
            _fmt(ours.ready_seconds, digits=1),
            _fmt(b.ready_seconds if b else None, digits=1),
            "",
        ),
        (
            "training (s)",
            _fmt(ours.training_seconds),
            _fmt(b.training_seconds if b else None) + (" (rasa init)" if b else ""),
            "",
        ),
    ]
    lines.append(f"  {'':<30} {'ours':>10} {'baseline':>20} {'ours/baseline':>14}")
    lines.extend(f"  {name:<30} {a:>10} {c:>20} {r:>14}" for name, a, c, r in rows)
    lines.append("")
    lines.append("targets (issue 9)")
    for target in targets(ours, baseline):
        lines.append(f"  {target.mark} {target.name:<42} {target.wanted:>10}   {target.value}")
    for run in runs:
        for sample in run.single.error_samples + run.load.error_samples:
            lines.append(f"  error ({run.name}): {sample}")
    return "\n".join(lines)


def write_json(report: dict[str, Any], folder: Path, stamp: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"bench-{stamp}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    shutil.copyfile(path, folder / "latest.json")
    return path


def write_plot(ours: SystemRun, baseline: SystemRun | None, folder: Path, stamp: str) -> Path:
    """Box plots of the latency per kind, ours and the baseline, single citizen and under load."""
    import matplotlib

    matplotlib.use("Agg")  # no display; must precede pyplot
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    runs = [run for run in (ours, baseline) if run is not None]
    colours = {"ours": "#1f77b4", "baseline": "#ff7f0e"}
    figure, axes = plt.subplots(1, 2, figsize=(13, 7), sharey=True)
    phases = (("single citizen", "single_results"), ("concurrent citizens", "load_results"))
    labels: list[str] = []
    for axis, (title, attribute) in zip(axes, phases, strict=True):
        data, labels, colour_list = [], [], []
        for run in runs:
            for kind, values in sorted(_latencies(getattr(run, attribute) or []).items()):
                data.append(values)
                labels.append(f"{run.name}: {kind}")
                colour_list.append(colours.get(run.name, "grey"))
        boxes = axis.boxplot(
            data, vert=False, whis=(5, 95), showfliers=True, patch_artist=True, widths=0.6
        )
        for patch, colour in zip(boxes["boxes"], colour_list, strict=True):
            patch.set_facecolor(colour)
            patch.set_alpha(0.6)
        axis.set_xscale("log")
        # 20, 50, 100, 200 rather than 10^2 and unlabelled minor ticks
        axis.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        axis.xaxis.set_minor_formatter(
            FuncFormatter(lambda value, _: f"{value:g}" if f"{value:g}"[0] in "25" else "")
        )
        axis.set_xlabel("latency (ms, log scale); whiskers p5–p95")
        axis.set_title(title)
        axis.grid(axis="x", which="both", alpha=0.3)
    axes[0].set_yticks(range(1, len(labels) + 1), labels)
    axes[0].axvline(MAX_SINGLE_P50_MS, color="red", linestyle="--", linewidth=1)
    axes[0].text(MAX_SINGLE_P50_MS, 0.5, f" {MAX_SINGLE_P50_MS:.0f} ms", color="red")
    figure.suptitle("buergerbot (ours) vs stock Rasa 3.6 moodbot (baseline): latency per kind")
    figure.tight_layout()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"latency-{stamp}.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    shutil.copyfile(path, folder / "latest.png")
    return path
