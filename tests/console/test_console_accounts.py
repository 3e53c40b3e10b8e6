"""Accounts: argon2 hashes, roles, lockout after five failures, sessions keyed by a secret."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from console import accounts, sessions
from console.db import open_console_db, users

PASSWORD = "correct horse battery"


@pytest.fixture
def engine(tmp_path: Path) -> sa.engine.Engine:
    return open_console_db(f"sqlite:///{tmp_path / 'console.db'}")


def test_password_is_stored_as_argon2id_only(engine: sa.engine.Engine) -> None:
    accounts.upsert(engine, "anna", PASSWORD, "reviewer")
    with engine.connect() as conn:
        stored = conn.execute(sa.select(users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    expected = accounts.Account(1, "anna", "reviewer")
    assert accounts.authenticate(engine, "anna", PASSWORD) == expected
    assert accounts.authenticate(engine, "anna", PASSWORD + "x") is None
    assert accounts.authenticate(engine, "nobody", PASSWORD) is None


def test_upsert_changes_password_and_role_and_ends_sessions(engine: sa.engine.Engine) -> None:
    accounts.upsert(engine, "anna", PASSWORD, "reviewer")
    account = accounts.authenticate(engine, "anna", PASSWORD)
    assert account is not None
    session_id = sessions.start(engine, "secret", account, 1)
    accounts.upsert(engine, "anna", "another long password", "admin")
    assert sessions.find(engine, "secret", session_id) is None
    assert accounts.authenticate(engine, "anna", PASSWORD) is None
    changed = accounts.authenticate(engine, "anna", "another long password")
    assert changed is not None and changed.is_admin


@pytest.mark.parametrize(
    ("name", "password", "role"),
    [("a", PASSWORD, "admin"), ("<b>", PASSWORD, "admin"), ("anna", "short", "admin"),
     ("anna", PASSWORD, "root")],
)  # fmt: skip
def test_bad_accounts_are_refused(
    engine: sa.engine.Engine, name: str, password: str, role: str
) -> None:
    with pytest.raises(accounts.AccountError):
        accounts.upsert(engine, name, password, role)


def test_lockout_after_five_failures_even_for_the_right_password(
    engine: sa.engine.Engine,
) -> None:
    accounts.upsert(engine, "anna", PASSWORD, "reviewer")
    start = 1_800_000_000.0
    for _ in range(accounts.MAX_FAILURES):
        assert accounts.authenticate(engine, "anna", "wrong", now=start) is None
    assert accounts.authenticate(engine, "anna", PASSWORD, now=start + 60) is None
    later = start + accounts.LOCKOUT_SECONDS + 1
    assert accounts.authenticate(engine, "anna", PASSWORD, now=later) is not None


def test_four_failures_then_success_resets_the_count(engine: sa.engine.Engine) -> None:
    accounts.upsert(engine, "anna", PASSWORD, "reviewer")
    for _ in range(accounts.MAX_FAILURES - 1):
        accounts.authenticate(engine, "anna", "wrong")
    assert accounts.authenticate(engine, "anna", PASSWORD) is not None
    for _ in range(accounts.MAX_FAILURES - 1):
        accounts.authenticate(engine, "anna", "wrong")
    assert accounts.authenticate(engine, "anna", PASSWORD) is not None


def test_sessions_need_the_secret_and_end(engine: sa.engine.Engine) -> None:
    accounts.upsert(engine, "anna", PASSWORD, "reviewer")
    account = accounts.authenticate(engine, "anna", PASSWORD)
    assert account is not None
    first = sessions.start(engine, "secret", account, 1)
    second = sessions.start(engine, "secret", account, 1)
    assert first != second
    found = sessions.find(engine, "secret", first)
    assert found is not None and found.account.username == "anna" and len(found.csrf) > 30
    assert sessions.find(engine, "other secret", first) is None
    assert sessions.find(engine, "secret", "forged") is None
    sessions.end(engine, "secret", first)
    assert sessions.find(engine, "secret", first) is None
    assert sessions.find(engine, "secret", second) is not None


def test_expired_sessions_are_gone(engine: sa.engine.Engine) -> None:
    accounts.upsert(engine, "anna", PASSWORD, "reviewer")
    account = accounts.authenticate(engine, "anna", PASSWORD)
    assert account is not None
    session_id = sessions.start(engine, "secret", account, hours=-1 / 3600)
    assert sessions.find(engine, "secret", session_id) is None


def test_same_token() -> None:
    assert sessions.same_token("abc", "abc")
    assert not sessions.same_token("abc", "abd")
    assert not sessions.same_token("", "")
    assert not sessions.same_token(None, None)
