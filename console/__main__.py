"""`python -m console` serves the staff console at CONSOLE_PORT;
`python -m console retention [--days 90] [--access-log-days 365] [--dry-run]` deletes old
conversation sessions and access log entries (console/retention.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys

from bot.web import serve
from console import retention
from console.app import create_app
from console.config import from_env
from console.db import engine_for, open_console_db


def _moment(text: str) -> float:
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.timestamp()


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m console")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="run the console (the default)")
    keep = commands.add_parser(
        "retention", help="delete conversation sessions and access log entries older than N days"
    )
    keep.add_argument(
        "--days",
        type=int,
        default=_days_setting("CONSOLE_RETENTION_DAYS", retention.DEFAULT_DAYS),
        help="conversation sessions (default: CONSOLE_RETENTION_DAYS, else 90)",
    )
    keep.add_argument(
        "--access-log-days",
        type=int,
        default=_days_setting(
            "CONSOLE_ACCESS_LOG_RETENTION_DAYS", retention.DEFAULT_ACCESS_LOG_DAYS
        ),
        help="access log entries (default: CONSOLE_ACCESS_LOG_RETENTION_DAYS, else 365)",
    )
    keep.add_argument("--dry-run", action="store_true", help="only count what would go")
    # For tests and for re-running a missed schedule: the moment retention counts back from.
    keep.add_argument(
        "--now", type=_moment, default=None, help="ISO time, default: now (the clock's)"
    )
    return parser.parse_args(argv)


def _days_setting(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    return int(text) if text.isdigit() else default


def _iso(moment: float) -> str:
    return dt.datetime.fromtimestamp(moment, dt.timezone.utc).isoformat(timespec="seconds")


def run_retention(args: argparse.Namespace) -> int:
    if args.days < 1 or args.access_log_days < 1:
        print("--days and --access-log-days must be at least 1", file=sys.stderr)
        return 2
    config = from_env()
    result = retention.apply(
        engine_for(config.tracker_db_url),
        open_console_db(config.console_db_url),
        days=args.days,
        dry_run=args.dry_run,
        now=args.now,
        access_log_days=args.access_log_days,
    )
    prefix, verb = ("dry run: ", "would be deleted") if result.dry_run else ("", "deleted")
    print(
        f"{prefix}{result.sessions_deleted} conversation sessions older than "
        f"{_iso(result.cutoff)} {verb} ({result.events_deleted} events): "
        f"{len(result.conversations)} conversations entirely, "
        f"{len(result.shortened)} keep their newer sessions"
    )
    print(
        f"{prefix}{result.access_log_deleted} access log entries older than "
        f"{_iso(result.access_log_cutoff)} {verb}"
    )
    return 0


def main(argv: list[str]) -> int:
    args = parse(argv)
    if args.command == "retention":
        return run_retention(args)
    serve(create_app(), "CONSOLE_PORT", 8001)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
