"""Statistics, reply checks, targets and the report files of `make bench`, without any server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devtools.bench.__main__ import parse
from devtools.bench.load import check_reply
from devtools.bench.report import SystemRun, failed, table, targets, write_json, write_plot
from devtools.bench.scenarios import PORTAL_TURN, Turn, citizen_conversations, open_invoices
from devtools.bench.stats import TurnResult, percentile, summarize


def test_percentiles_interpolate_between_ranks() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 95) == pytest.approx(95.05)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile(values, 100) == 100.0
    assert percentile([3.0, 1.0, 2.0], 0) == 1.0  # unsorted input
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def results(kind: str, latencies: list[float], errors: int = 0) -> list[TurnResult]:
    good = [TurnResult(kind, 0.0, ms) for ms in latencies]
    return good + [TurnResult(kind, 0.0, 30000.0, error="timeout") for _ in range(errors)]


def test_errors_count_but_do_not_enter_the_latencies() -> None:
    summary = summarize(results("faq", [10, 20, 30], errors=2), 4, 2, seconds=1.5)
    assert (summary.turns, summary.errors) == (5, 2)
    assert summary.turns_per_second == pytest.approx(2.0)  # answered turns only
    assert summary.kinds["faq"].max_ms == 30
    assert summary.error_samples == ["faq: timeout", "faq: timeout"]


def test_a_reply_must_contain_every_expected_part() -> None:
    turn = Turn("payment_step_action", "Kassenzeichen …", ("gefunden", "Hundesteuer"))
    assert check_reply(turn, 200, [{"text": "gefunden: Hundesteuer 2027"}]) is None
    assert "missing 'Hundesteuer'" in str(check_reply(turn, 200, [{"text": "gefunden"}]))
    assert check_reply(turn, 429, None) == "HTTP 429"
    assert "not a list" in str(check_reply(turn, 200, {"error": "x"}))


def run(name: str, kinds: dict[str, list[float]], tps: float, **extra: object) -> SystemRun:
    single = [r for kind, values in kinds.items() for r in results(kind, values)]
    load = [r for kind, values in kinds.items() for r in results(kind, [v * 3 for v in values])]
    errors = int(str(extra.pop("errors", 0)))
    load += results("greet", [], errors=errors)
    turns = len(load)
    return SystemRun(
        name=name,
        ready_seconds=float(str(extra.get("ready", 9.0))),
        peak_rss_bytes=int(str(extra.get("rss", 600_000_000))),
        single=summarize(single, 1, 3, 1.0),
        load=summarize(load, 20, 10, (turns - errors) / tps),
        training_seconds=float(str(extra.get("training", 40.0))),
        single_results=single,
        load_results=load,
    )


def report_for(ours: SystemRun, baseline: SystemRun | None) -> dict[str, object]:
    from devtools.bench.report import ratios

    return {
        "timestamp": "2026-11-28 09:00 UTC",
        "machine": {"cpu_count": 2, "cpu_model": "Test CPU", "ram_gb": 8.0, "os": "Linux",
                    "python": "3.10.13", "rasa": "3.6.21", "load_average_at_start": [0.1]},
        "options": {"citizens": 20},
        "ratios": ratios(ours, baseline),
    }  # fmt: skip


def test_targets_met_and_the_table_shows_the_ratios() -> None:
    ours = run("ours", {PORTAL_TURN: [40, 45, 50], "greet": [20, 25, 30]}, tps=30.0)
    baseline = run("baseline", {"greet": [30, 35, 40], "mood": [35, 40, 45]}, tps=20.0)
    found = targets(ours, baseline)
    assert [t.met for t in found] == [True] * 6
    assert failed(found) == []
    text = table(report_for(ours, baseline), ours, baseline)
    assert "1.50×" in text  # throughput 30 / 20
    assert "Test CPU" in text and "Rasa 3.6.21" in text
    assert "✗" not in text


def test_missed_targets_are_named() -> None:
    ours = run(
        "ours", {PORTAL_TURN: [70, 80, 90]}, tps=10.0, errors=1, rss=2_000_000_000,
        training=400.0, ready=50.0,
    )  # fmt: skip
    baseline = run("baseline", {"greet": [30, 35, 40]}, tps=20.0)
    missed = {t.name for t in failed(targets(ours, baseline))}
    assert missed == {
        "throughput, ours / baseline",
        f"single-citizen p50 of {PORTAL_TURN}",
        "errors (all phases, both systems)",
        "Rasa server peak memory (ours)",
        "training (ours)",
        "start to ready, model present (ours)",
    }
    assert "error (ours): greet: timeout" in table(report_for(ours, baseline), ours, baseline)


def test_without_baseline_the_ratio_is_not_measured_and_does_not_fail() -> None:
    ours = run("ours", {PORTAL_TURN: [40, 45, 50]}, tps=30.0)
    throughput = targets(ours, None)[0]
    assert throughput.met is None and throughput.value == "not measured"
    assert failed(targets(ours, None)) == []


def test_json_and_plot_are_written_with_latest_copies(tmp_path: Path) -> None:
    ours = run("ours", {PORTAL_TURN: [40, 45, 50], "greet": [20, 25, 30]}, tps=30.0)
    baseline = run("baseline", {"greet": [30, 35, 40]}, tps=20.0)
    report = {**report_for(ours, baseline), "ours": ours.summary()}
    path = write_json(report, tmp_path, "20261128-090000")
    assert json.loads((tmp_path / "latest.json").read_text()) == json.loads(path.read_text())
    assert json.loads(path.read_text())["ours"]["latencies_ms"]["single"][PORTAL_TURN] == [
        40.0, 45.0, 50.0,
    ]  # fmt: skip
    plot = write_plot(ours, baseline, tmp_path, "20261128-090000")
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "latest.png").read_bytes() == plot.read_bytes()


def test_every_citizen_pays_an_open_demo_invoice_and_sees_all_kinds_of_turn() -> None:
    invoices = open_invoices()
    assert len(invoices) >= 2
    conversations = citizen_conversations(3, invoices)
    assert len({c.name for c in conversations}) == 5
    kinds = {turn.kind for c in conversations for turn in c.turns}
    assert {PORTAL_TURN, "service_request", "faq", "mandate_text"} <= kinds


def test_bad_options_are_refused() -> None:
    with pytest.raises(SystemExit):
        parse(["--citizens", "0"])
