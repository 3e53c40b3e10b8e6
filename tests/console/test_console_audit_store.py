"""The access log is append-only in the database itself (SQLite and PostgreSQL triggers):
no UPDATE, no DELETE, no TRUNCATE, except the retention's delete of rows older than its cutoff."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from console import audit
from console.db import open_console_db
from tests.support.services import database

DAY = 86400.0
NOW = 1_800_000_000.0


@pytest.fixture(params=["sqlite", "postgresql"])
def console_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with database(request.param, tmp_path, "console") as url:
        engine = open_console_db(url)
        open_console_db(url).dispose()  # opening twice (a second replica) installs once more
        for age in (400, 366, 10, 0):
            audit.append(engine, NOW - age * DAY, "anna", "view", "conv-1", f"{age} days old")
        yield engine
        engine.dispose()


def test_no_update_and_no_delete(console_db: Engine) -> None:
    tries = [
        "UPDATE console_access_log SET username = 'someone else'",
        "UPDATE console_access_log SET at = 0 WHERE id = 1",
        "DELETE FROM console_access_log",
        "DELETE FROM console_access_log WHERE at < 9999999999",
    ]
    if console_db.dialect.name == "postgresql":
        tries.append("TRUNCATE console_access_log")
    for statement in tries:
        with pytest.raises(DBAPIError, match="append-only"), console_db.begin() as conn:
            conn.execute(sa.text(statement))
    assert audit.count(console_db) == 4
    assert {row.username for row in audit.entries(console_db)} == {"anna"}


def test_a_cutoff_opens_only_older_rows_and_only_in_its_transaction(console_db: Engine) -> None:
    with pytest.raises(DBAPIError, match="append-only"), console_db.begin() as conn:
        conn.execute(sa.text("INSERT INTO console_access_log_prune (cutoff) VALUES (:c)"),
                     {"c": NOW - 365 * DAY})  # fmt: skip
        conn.execute(sa.text("DELETE FROM console_access_log"))  # younger rows too: refused
    assert audit.count(console_db) == 4
    assert audit.prune(console_db, NOW - 365 * DAY, dry_run=True) == 2
    assert audit.count(console_db) == 4
    assert audit.prune(console_db, NOW - 365 * DAY) == 2
    assert sorted(row.detail for row in audit.entries(console_db)) == ["0 days old", "10 days old"]
    # the cutoff ended with its transaction
    with pytest.raises(DBAPIError, match="append-only"), console_db.begin() as conn:
        conn.execute(sa.text("DELETE FROM console_access_log"))
    assert audit.count(console_db) == 2


def test_the_csv_export_takes_any_text_and_defuses_formulas(console_db: Engine) -> None:
    """What staff typed or requested lands in the log as it came (a path with %00, a line break
    in a search); the export writes control characters as visible escapes, one row per entry,
    and no cell a spreadsheet would run as a formula."""
    audit.append(engine := console_db, NOW, "anna", "search", "", "a\x00b\r\nc")
    audit.append(engine, NOW, "anna", "search", "", "\t=HYPERLINK(1)")
    audit.append(engine, NOW, "anna", "search", "", "=1+1")
    rows = list(csv.reader(io.StringIO(audit.as_csv(audit.entries(engine, limit=3), {}))))
    assert [row[5] for row in rows[1:]] == ["'=1+1", "\\x09=HYPERLINK(1)", "a\\x00b\\x0d\\x0ac"]
