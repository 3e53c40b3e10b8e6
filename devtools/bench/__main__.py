"""`python -m devtools.bench` (`make bench`): see the package docstring and the README.

Exit status 0 when every target of issue 9 is met with zero errors, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bot.settings import ROOT
from bot.training import model_path
from devtools.bench.load import run_load
from devtools.bench.report import SystemRun, failed, ratios, table, targets, write_json, write_plot
from devtools.bench.scenarios import (
    Conversation,
    baseline_conversations,
    citizen_conversations,
    open_invoices,
)
from devtools.bench.stats import summarize
from devtools.bench.systems import (
    Running,
    baseline_system,
    init_baseline,
    machine,
    our_system,
    train_ours,
)
from devtools.processes import StartFailed


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devtools.bench", description=__doc__)
    parser.add_argument("--citizens", type=int, default=20, help="concurrent citizens (20)")
    parser.add_argument(
        "--conversations", type=int, default=150, help="conversations under load per system (150)"
    )
    parser.add_argument(
        "--duration", type=float, help="stop the load phase after this many seconds"
    )
    parser.add_argument(
        "--single", type=int, default=20, help="conversations of the single citizen (20)"
    )
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured conversations first (5)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per turn (30)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the moodbot baseline")
    parser.add_argument(
        "--skip-training", action="store_true", help="do not measure our training time"
    )
    parser.add_argument("--model", type=Path, help="our model (default: the current one)")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench", help="report folder")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    for name in ("citizens", "conversations", "single"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return args


def measure(
    name: str,
    running: Running,
    conversations_for: Callable[[int], list[Conversation]],
    args: argparse.Namespace,
    prefix: str,
) -> SystemRun:
    """Warm-up, one citizen alone, then many at once, against one running system."""

    def phase(label: str, citizens: int, count: int, duration: float | None = None) -> Any:
        return asyncio.run(
            run_load(
                running.base_url,
                conversations_for,
                citizens=citizens,
                conversations=count,
                duration=duration,
                timeout=args.timeout,
                sender_prefix=f"{prefix}-{name}-{label}",
                label=f"{name}: {label}",
                progress=not args.no_progress,
            )
        )

    if args.warmup:
        phase("warm-up", 1, args.warmup)
    single = phase("single citizen", 1, args.single)
    load = phase(f"{args.citizens} citizens", args.citizens, args.conversations, args.duration)
    return SystemRun(
        name=name,
        ready_seconds=running.ready_seconds,
        peak_rss_bytes=running.memory.peak_bytes,
        single=summarize(single.results, 1, single.conversations, single.seconds),
        load=summarize(load.results, args.citizens, load.conversations, load.seconds),
        single_results=single.results,
        load_results=load.results,
    )


def note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def bench(args: argparse.Namespace, folder: Path, stamp: str) -> tuple[SystemRun, SystemRun | None]:
    model = args.model or model_path()
    if not model.is_file():
        raise StartFailed(
            f"Kein Modell unter {model}: bitte erst `make train` / no model there: `make train`"
        )
    invoices = open_invoices()
    training = None
    if not args.skip_training:
        note("training our model into a temporary folder (timed) …")
        (folder / "train").mkdir()
        training = train_ours(folder / "train")
    note("starting our system (python -m bot serve) …")
    (folder / "ours").mkdir()
    with our_system(folder / "ours", model) as running:
        note(f"ours ready after {running.ready_seconds:.1f} s")
        ours = measure("ours", running, lambda n: citizen_conversations(n, invoices), args, stamp)
    ours.training_seconds = training
    if args.no_baseline:
        return ours, None
    note("baseline: rasa init (trains the moodbot, timed) …")
    project, init_seconds = init_baseline(folder)
    with baseline_system(project) as running:
        note(f"baseline ready after {running.ready_seconds:.1f} s")
        baseline = measure("baseline", running, baseline_conversations, args, stamp)
    baseline.training_seconds = init_seconds
    return ours, baseline


def shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    now = datetime.now(timezone.utc)
    stamp = now.strftime("%Y%m%d-%H%M%S")
    facts = machine()
    try:
        with tempfile.TemporaryDirectory(prefix="buergerbot-bench-") as tmp:
            ours, baseline = bench(args, Path(tmp), stamp)
    except StartFailed as exc:
        print(f"Benchmark abgebrochen / benchmark aborted: {exc}", file=sys.stderr)
        return 1
    found = targets(ours, baseline)
    report: dict[str, Any] = {
        "timestamp": now.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": facts,
        "options": {
            key: str(value) if isinstance(value, Path) else value
            for key, value in vars(args).items()
        },
        "ours": ours.summary(),
        "baseline": baseline.summary() if baseline else None,
        "ratios": ratios(ours, baseline),
        "targets": [
            {"name": t.name, "wanted": t.wanted, "value": t.value, "met": t.met} for t in found
        ],
    }
    print(table(report, ours, baseline))
    json_path = write_json(report, args.out, stamp)
    plot_path = write_plot(ours, baseline, args.out, stamp)
    print(f"\nreport: {shown(json_path)}\nplot:   {shown(plot_path)}")
    missed = failed(found)
    if missed:
        print("missed: " + "; ".join(f"{t.name} {t.value} (wanted {t.wanted})" for t in missed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
