"""``python -m portal collections plan|pre-notify|export|import-returns|lapse [--dry-run]``.

The treasury's command, run by the scheduled job (compose file, Helm values) once a day:
plan, pre-notify, then export the next business days' batches. Exit codes: 0 done (also when
there was nothing to do), 2 wrong arguments or settings, 3 database unusable, 4 unreadable
return file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from portal import context, exports, outbox, returns, treasury
from portal.problems import Problem
from portal.settings import Settings, SettingsError

STEPS = ("plan", "pre-notify", "export", "import-returns", "lapse")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m portal collections")
    steps = top.add_subparsers(dest="step", required=True)
    for name in ("plan", "pre-notify", "lapse"):
        sub = steps.add_parser(name)
        sub.add_argument("--dry-run", action="store_true", help="report, change nothing")
    export = steps.add_parser("export", help="write the day's new pain.008 batch")
    export.add_argument("--date", required=True, type=dt.date.fromisoformat)
    export.add_argument("--out", required=True, type=Path)
    export.add_argument("--dry-run", action="store_true")
    imported = steps.add_parser("import-returns", help="read a pain.002 or camt.054 file")
    imported.add_argument("file", type=Path)
    imported.add_argument("--dry-run", action="store_true")
    return top


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        context.prepare(settings)
        portal = context.build(settings)
    except (SettingsError, ValueError) as exc:
        print(f"portal collections: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        print(f"portal collections: database unusable: {type(exc).__name__}", file=sys.stderr)
        return 3
    try:
        code = _run(portal, args)
        if not args.dry_run:
            # hand what the step queued to the mail server now; the portal's worker retries
            outbox.deliver_due(portal.engine, portal.mailer, portal.clock, portal.outbox_policy())
        return code
    finally:
        portal.engine.dispose()


def _run(portal: context.Portal, args: argparse.Namespace) -> int:
    prefix = "[dry run] " if args.dry_run else ""
    if args.step == "export":
        return _export(portal, args.date, args.out, args.dry_run)
    if args.step == "import-returns":
        try:
            step = treasury.import_returns(args.file.read_bytes())
        except (OSError, returns.ReturnFileError) as exc:
            print(f"portal collections: {args.file}: {exc}", file=sys.stderr)
            return 4
        report: treasury.Report = treasury.run(portal, step, args.dry_run)
    else:
        steps = {"plan": treasury.plan, "pre-notify": treasury.pre_notify, "lapse": treasury.lapse}
        report = treasury.run(portal, steps[args.step], args.dry_run)
    for line in report.lines:
        print(prefix + line)
    print(f"{prefix}{args.step}: {len(report.lines)} item(s)")
    return 0


def _export(portal: context.Portal, day: dt.date, out: Path, dry_run: bool) -> int:
    try:
        exports.check_day(day, portal.today())
    except Problem as exc:
        print(f"portal collections: {exc.detail}", file=sys.stderr)
        return 2
    made = treasury.run(portal, lambda p, conn: exports.create_in(p, conn, day), dry_run)
    left_out = exports.not_prenotified(portal, day)
    if left_out:
        # refused for this day: the pre-notify step moves them to a date it can announce
        print(f"export {day}: {left_out} collection(s) left out, not pre-notified in time")
    if made is None:
        print(f"export {day}: nothing new to collect, no file written")
        return 0
    if dry_run:
        print(
            f"[dry run] export {day}: batch of {made.transactions} collection(s), "
            f"{made.total_cents / 100:.2f} EUR; no file written"
        )
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(made.xml)
    print(
        f"export {day}: batch {made.id}, {made.transactions} collection(s), "
        f"{made.total_cents / 100:.2f} EUR -> {out}"
    )
    return 0
