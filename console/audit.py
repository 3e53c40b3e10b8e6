"""The console's access log: who did what, when, to which conversation. Append-only.

Every sign-in, failed sign-in, lockout, sign-out, account change, review change (status,
tags), list, search, conversation view, reveal, export, handoff step and deletion is appended
here; admins read it and export it as CSV. This module offers no way to change or delete a
row but `prune`, the retention's; the database enforces the same with triggers (SQLite and
PostgreSQL alike), so neither a bug in the console nor a hand-written UPDATE changes history:

- UPDATE: always refused;
- DELETE (and TRUNCATE on PostgreSQL): refused unless the same transaction wrote a cutoff into
  `console_access_log_prune` and the row is older than it. Another transaction cannot see an
  uncommitted cutoff, so only the retention's own transaction can delete, and only old rows.

The triggers hold against the application and against mistakes, not against the database's
owner, who can drop them: in production the console's database role is not the owner
(docs/security.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from console.db import access_log, access_log_prune

MAX_DETAIL = 500
APPEND_ONLY_MESSAGE = "console_access_log is append-only"  # in the triggers below

_SQLITE_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS console_access_log_no_update
    BEFORE UPDATE ON console_access_log
    BEGIN SELECT RAISE(ABORT, 'console_access_log is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS console_access_log_no_delete
    BEFORE DELETE ON console_access_log
    WHEN NOT EXISTS (SELECT 1 FROM console_access_log_prune p WHERE OLD.at < p.cutoff)
    BEGIN SELECT RAISE(ABORT, 'console_access_log is append-only'); END""",
)
_POSTGRESQL_TRIGGERS = (
    """CREATE OR REPLACE FUNCTION console_access_log_append_only() RETURNS trigger AS $$
    BEGIN
      IF TG_OP = 'DELETE' AND EXISTS (
        SELECT 1 FROM console_access_log_prune p WHERE OLD.at < p.cutoff
      ) THEN
        RETURN OLD;
      END IF;
      RAISE EXCEPTION 'console_access_log is append-only';
    END $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS console_access_log_append_only ON console_access_log",
    """CREATE TRIGGER console_access_log_append_only BEFORE UPDATE OR DELETE
    ON console_access_log FOR EACH ROW EXECUTE FUNCTION console_access_log_append_only()""",
    "DROP TRIGGER IF EXISTS console_access_log_no_truncate ON console_access_log",
    """CREATE TRIGGER console_access_log_no_truncate BEFORE TRUNCATE
    ON console_access_log FOR EACH STATEMENT EXECUTE FUNCTION console_access_log_append_only()""",
)


def install_append_only(engine: Engine) -> None:
    statements = {"sqlite": _SQLITE_TRIGGERS, "postgresql": _POSTGRESQL_TRIGGERS}.get(
        engine.dialect.name
    )
    if statements is None:
        raise RuntimeError(f"the access log cannot be made append-only on {engine.dialect.name}")
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # several console processes may start at once; one installs at a time
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(731942)"))
        for statement in statements:
            conn.execute(sa.text(statement))


def record(request: Any, what: str, sender_id: str = "", detail: str = "") -> None:
    """Appends what the signed-in staff member of this request did."""
    session = getattr(request.ctx, "session", None)
    username = session.account.username if session is not None else "-"
    ctx = request.app.ctx
    append(ctx.console_db, ctx.clock.now().timestamp(), username, what, sender_id, detail)


def append(
    engine: Engine, at: float, username: str, what: str, sender_id: str = "", detail: str = ""
) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.insert(access_log).values(
                at=at,
                username=_storable(username)[:64],
                sender_id=_storable(sender_id)[:255],
                what=what[:32],
                detail=_storable(detail)[:MAX_DETAIL] or None,
            )
        )


def _storable(text: str) -> str:
    """PostgreSQL's text holds no NUL, which a requested path or a typed search may carry."""
    return text.replace("\x00", "\\x00")


def entries(engine: Engine, limit: int | None = 500) -> list[sa.engine.Row]:
    query = sa.select(access_log).order_by(access_log.c.id.desc())
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as conn:
        return list(conn.execute(query))


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(access_log)).scalar_one())


def as_csv(rows: Iterable[sa.engine.Row], handle_of: dict[str, str]) -> str:
    """The log as CSV (UTF-8, comma, header); conversations by their pseudonym. A cell that
    a spreadsheet would take for a formula is prefixed with an apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "at_utc", "username", "conversation", "what", "detail"])
    for row in rows:
        at = dt.datetime.fromtimestamp(row.at, dt.timezone.utc).isoformat(timespec="seconds")
        cells = [
            str(row.id),
            at,
            row.username,
            handle_of.get(row.sender_id, "") if row.sender_id else "",
            row.what,
            row.detail or "",
        ]
        writer.writerow([_cell(c) for c in cells])
    return out.getvalue()


def _cell(value: str) -> str:
    # Control characters come in with what was typed or requested (a path with %00, a line
    # break in a search): csv on Python 3.10 refuses NUL, and a spreadsheet would break the
    # row; they are written as visible escapes (\x00) instead.
    value = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def prune(engine: Engine, cutoff: float, dry_run: bool = False) -> int:
    """Deletes the entries older than the cutoff (the retention's only): their number."""
    with engine.begin() as conn:
        old = conn.execute(
            sa.select(sa.func.count()).select_from(access_log).where(access_log.c.at < cutoff)
        ).scalar_one()
        if dry_run or not old:
            return int(old)
        conn.execute(sa.insert(access_log_prune).values(cutoff=cutoff))
        deleted = conn.execute(sa.delete(access_log).where(access_log.c.at < cutoff)).rowcount
        conn.execute(sa.delete(access_log_prune))
        return int(deleted)
