"""``python -m portal retention [--dry-run]``: deletes or erases what the retention periods no
longer require (portal/retention.py). Exit codes like the treasury's: 0 done (also when nothing
was due), 2 wrong arguments or settings, 3 database unusable."""

from __future__ import annotations

import argparse
import os
import sys

from sqlalchemy.exc import SQLAlchemyError

from portal import context, retention
from portal.settings import Settings, SettingsError


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal retention")
    parser.add_argument("--dry-run", action="store_true", help="report, change nothing")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        periods = retention.Periods.from_env(os.environ)
        context.prepare(settings)
        portal = context.build(settings)
    except (SettingsError, ValueError) as exc:
        print(f"portal retention: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        print(f"portal retention: database unusable: {type(exc).__name__}", file=sys.stderr)
        return 3
    try:
        report = retention.run(portal.engine, portal.now(), periods, dry_run=args.dry_run)
    finally:
        portal.engine.dispose()
    prefix = "[dry run] " if args.dry_run else ""
    for line in report.lines():
        print(prefix + line)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
