"""`python -m console` serves the staff console at CONSOLE_PORT;
`python -m console retention --days 90 [--dry-run]` deletes old conversations.
"""

from __future__ import annotations

import argparse
import datetime as dt
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
    keep = commands.add_parser("retention", help="delete conversations older than N days")
    keep.add_argument("--days", type=int, default=retention.DEFAULT_DAYS)
    keep.add_argument("--dry-run", action="store_true", help="only count what would go")
    # For tests and for re-running a missed schedule: the moment retention counts back from.
    keep.add_argument("--now", type=_moment, default=None, help="ISO time, default: now")
    return parser.parse_args(argv)


def run_retention(args: argparse.Namespace) -> int:
    if args.days < 1:
        print("--days must be at least 1", file=sys.stderr)
        return 2
    config = from_env()
    result = retention.apply(
        engine_for(config.tracker_db_url),
        open_console_db(config.console_db_url),
        days=args.days,
        dry_run=args.dry_run,
        now=args.now,
    )
    cutoff = dt.datetime.fromtimestamp(result.cutoff, dt.timezone.utc).isoformat()
    if result.dry_run:
        print(
            f"dry run: {len(result.conversations)} conversations older than {cutoff} "
            "would be deleted"
        )
    else:
        print(
            f"deleted {len(result.conversations)} conversations ({result.events_deleted} events) "
            f"older than {cutoff}"
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
