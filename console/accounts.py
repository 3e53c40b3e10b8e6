"""Staff accounts: argon2 hashes, two roles, lockout after repeated failures.

>>> valid_username("anna.meier")
True
>>> valid_username("<script>")
False
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine

from console.db import sessions, users

ROLES = ("reviewer", "admin")
MAX_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60
MIN_PASSWORD = 12
_USERNAME = re.compile(r"[A-Za-z0-9._@-]{2,64}")

_hasher = PasswordHasher()
# Checked for unknown names too, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("no such user, no such password")


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class AccountError(ValueError):
    """A name, role or password an account cannot have; the message is for the admin."""


def valid_username(name: str) -> bool:
    return bool(_USERNAME.fullmatch(name))


def _check(username: str, password: str, role: str) -> None:
    if not valid_username(username):
        raise AccountError("Benutzername: 2–64 Zeichen aus A–Z, a–z, 0–9, . _ @ -")
    if role not in ROLES:
        raise AccountError("Rolle: reviewer oder admin")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"Passwort: mindestens {MIN_PASSWORD} Zeichen")


def upsert(engine: Engine, username: str, password: str, role: str) -> None:
    """Creates the account, or sets its password and role (and lifts a lockout)."""
    _check(username, password, role)
    values = {
        "password_hash": _hasher.hash(password),
        "role": role,
        "failed_logins": 0,
        "locked_until": None,
    }
    with engine.begin() as conn:
        found = conn.execute(sa.select(users.c.id).where(users.c.username == username)).first()
        if found:
            conn.execute(sa.update(users).where(users.c.id == found.id).values(**values))
            conn.execute(sa.delete(sessions).where(sessions.c.user_id == found.id))
        else:
            conn.execute(
                sa.insert(users).values(username=username, created_at=time.time(), **values)
            )


def delete(engine: Engine, username: str) -> None:
    with engine.begin() as conn:
        found = conn.execute(sa.select(users.c.id).where(users.c.username == username)).first()
        if found:
            conn.execute(sa.delete(sessions).where(sessions.c.user_id == found.id))
            conn.execute(sa.delete(users).where(users.c.id == found.id))


def list_accounts(engine: Engine) -> list[sa.engine.Row]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(users).order_by(users.c.username)))


def authenticate(
    engine: Engine, username: str, password: str, now: float | None = None
) -> Account | None:
    """The account for a correct name and password that is not locked, else None.

    Locked accounts and wrong passwords look the same from outside, so a guesser learns nothing.
    """
    return attempt(engine, username, password, now)[0]


# What a login attempt came to, for the access log: ok, unknown (no such account), locked
# (refused during a lockout), wrong (wrong password), lockout (this failure started one).
OUTCOMES = ("ok", "unknown", "locked", "wrong", "lockout")


def attempt(
    engine: Engine, username: str, password: str, now: float | None = None
) -> tuple[Account | None, str]:
    """`authenticate`, and what the attempt came to (one of OUTCOMES)."""
    now = time.time() if now is None else now
    with engine.begin() as conn:
        row = conn.execute(sa.select(users).where(users.c.username == username)).first()
        if row is None:
            _verify(_DUMMY_HASH, password)
            return None, "unknown"
        if row.locked_until is not None and row.locked_until > now:
            _verify(_DUMMY_HASH, password)
            return None, "locked"
        if not _verify(row.password_hash, password):
            failures = row.failed_logins + 1
            locked = now + LOCKOUT_SECONDS if failures >= MAX_FAILURES else None
            conn.execute(
                sa.update(users)
                .where(users.c.id == row.id)
                .values(failed_logins=0 if locked else failures, locked_until=locked)
            )
            return None, "lockout" if locked else "wrong"
        conn.execute(
            sa.update(users).where(users.c.id == row.id).values(failed_logins=0, locked_until=None)
        )
        if _hasher.check_needs_rehash(row.password_hash):
            conn.execute(
                sa.update(users)
                .where(users.c.id == row.id)
                .values(password_hash=_hasher.hash(password))
            )
        return Account(row.id, row.username, row.role), "ok"


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
