"""The PostgreSQL and Redis servers of the tests, and the databases made on them.

`TEST_POSTGRESQL_URL` (an admin URL, e.g. `postgresql://postgres@127.0.0.1:5432/postgres`) and
`TEST_REDIS_URL` (e.g. `redis://127.0.0.1:6379/0`) name servers to use. Where one is unset, the
first test that needs it starts a server of its own, on a free port of 127.0.0.1 in a temporary
folder, with the process executors of pytest-postgresql and pytest-redis; `stop()` (called by
tests/conftest.py at the end of the session) stops them and removes the folders. Tests create
and drop their own databases and remove the Redis keys under their own prefix in either case.

PostgreSQL's initdb and server refuse to run as root (CI and the development machine run as
root): then they run as Debian's `postgres` system user, in a folder it owns.
"""

from __future__ import annotations

import atexit
import os
import pwd
import shutil
import stat
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devtools.processes import free_port
from tests.support.waiting import wait_until

POSTGRESQL_URL_VARIABLE = "TEST_POSTGRESQL_URL"
REDIS_URL_VARIABLE = "TEST_REDIS_URL"
START_TIMEOUT = 60
CONNECT_TIMEOUT = 5
# Debian installs the server binaries outside PATH, one folder per major version.
DEBIAN_POSTGRESQL = "/usr/lib/postgresql"
SYSTEM_USER = "postgres"


class ServiceMissing(RuntimeError):
    """A server is neither configured nor installed."""


@dataclass
class _Own:
    """The servers this test process started, by name, with their folders."""

    urls: dict[str, str] = field(default_factory=dict)
    executors: list[Any] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


_own = _Own()


def postgresql_url() -> str:
    """The admin URL of the tests' PostgreSQL server (a superuser, database `postgres`)."""
    configured = os.environ.get(POSTGRESQL_URL_VARIABLE)
    if configured:
        return configured
    with _own.lock:
        if "postgresql" not in _own.urls:
            _own.urls["postgresql"] = _start_postgresql()
        return _own.urls["postgresql"]


def redis_url() -> str:
    """The URL of the tests' Redis server."""
    configured = os.environ.get(REDIS_URL_VARIABLE)
    if configured:
        return configured
    with _own.lock:
        if "redis" not in _own.urls:
            _own.urls["redis"] = _start_redis()
        return _own.urls["redis"]


def stop() -> None:
    """Stops the servers this process started and removes their folders (idempotent)."""
    with _own.lock:
        while _own.executors:
            executor = _own.executors.pop()
            executor.stop()
        while _own.folders:
            shutil.rmtree(_own.folders.pop(), ignore_errors=True)
        _own.urls.clear()


atexit.register(stop)  # also when a session ends without tests/conftest.py's teardown


def _pg_ctl() -> str:
    """pg_ctl of the newest PostgreSQL Debian installed, or the one on PATH."""
    folders = sorted(
        Path(DEBIAN_POSTGRESQL).glob("*/bin/pg_ctl"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
    )
    found = str(folders[-1]) if folders else shutil.which("pg_ctl")
    if not found:
        raise ServiceMissing(
            f"no PostgreSQL server (pg_ctl) found: run scripts/system-deps.sh, "
            f"or set {POSTGRESQL_URL_VARIABLE} to a server's admin URL"
        )
    return found


def _as_postgres_user(pg_ctl: str, folder: Path) -> str:
    """As root: a pg_ctl that runs the real one as the `postgres` system user (initdb and
    postgres refuse root), in a folder that user owns. Otherwise: the real pg_ctl."""
    if os.geteuid() != 0:
        return pg_ctl
    try:
        user = pwd.getpwnam(SYSTEM_USER)
    except KeyError as missing:
        raise ServiceMissing(
            f"running as root, PostgreSQL needs the '{SYSTEM_USER}' system user "
            f"(Debian's postgresql package makes it)"
        ) from missing
    os.chown(folder, user.pw_uid, user.pw_gid)
    wrapper = folder / "pg_ctl"
    # `cd /`: the server's user may not enter the caller's working folder.
    wrapper.write_text(
        "#!/bin/sh\ncd /\n"
        f'exec setpriv --reuid={user.pw_uid} --regid={user.pw_gid} --init-groups {pg_ctl} "$@"\n',
        encoding="utf-8",
    )
    wrapper.chmod(stat.S_IRWXU)
    return str(wrapper)


def _start_postgresql() -> str:
    from pytest_postgresql.executors import PostgreSQLExecutor

    pg_ctl = _pg_ctl()
    folder = Path(tempfile.mkdtemp(prefix="buergerbot-test-postgresql-"))
    _own.folders.append(folder)
    port = free_port()
    executor = PostgreSQLExecutor(
        executable=_as_postgres_user(pg_ctl, folder),
        host="127.0.0.1",
        port=port,
        datadir=str(folder / "data"),
        unixsocketdir=str(folder),
        logfile=str(folder / "server.log"),
        startparams="-w",
        dbname="postgres",
        user="postgres",
        timeout=START_TIMEOUT,
        # Throw-away data: no durability, only 127.0.0.1.
        postgres_options="-c listen_addresses=127.0.0.1 -c synchronous_commit=off "
        "-c full_page_writes=off",
    )
    try:
        executor.start()
    except Exception as failed:
        log = folder / "server.log"
        tail = log.read_text(errors="replace")[-2000:] if log.is_file() else ""
        raise ServiceMissing(f"the tests' PostgreSQL did not start: {failed}\n{tail}") from failed
    _own.executors.append(executor)
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    # The executor returns once the port is open; the server may still be starting up.
    wait_until(lambda: _accepts(url), START_TIMEOUT, "the tests' PostgreSQL to accept logins")
    return url


def _accepts(url: str) -> bool:
    import psycopg2

    try:
        psycopg2.connect(url, connect_timeout=CONNECT_TIMEOUT).close()
    except psycopg2.OperationalError:
        return False
    return True


def _start_redis() -> str:
    from pytest_redis.executor import RedisExecutor

    executable = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(executable).is_file():
        raise ServiceMissing(
            f"no redis-server found: run scripts/system-deps.sh, "
            f"or set {REDIS_URL_VARIABLE} to a server's URL"
        )
    folder = Path(tempfile.mkdtemp(prefix="buergerbot-test-redis-"))
    _own.folders.append(folder)
    port = free_port()
    executor = RedisExecutor(
        executable=executable,
        databases=16,
        redis_timeout=30,
        loglevel="notice",
        host="127.0.0.1",
        port=port,
        startup_timeout=START_TIMEOUT,
        datadir=folder,
    )
    executor.start()
    _own.executors.append(executor)
    return f"redis://127.0.0.1:{port}/0"


@contextmanager
def postgresql_database(prefix: str) -> Iterator[str]:
    """A uniquely named, empty PostgreSQL database, dropped afterwards (even if still in use)."""
    import psycopg2
    from sqlalchemy.engine import make_url

    admin_url = postgresql_url()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(admin_url, connect_timeout=CONNECT_TIMEOUT)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()


@contextmanager
def database(kind: str, folder: Path, name: str) -> Iterator[str]:
    """A fresh database of `kind`: the SQLite file `folder/name.db`, or a uniquely named
    PostgreSQL database whose name starts with `name`."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / (name + '.db')}"
        return
    if kind != "postgresql":
        raise ValueError(f"unknown database kind {kind!r}")
    with postgresql_database(name) as url:
        yield url


@contextmanager
def redis_keys_removed(prefix: str) -> Iterator[str]:
    """The tests' Redis URL; whatever is stored under `prefix:` is deleted at the end."""
    import redis

    url = redis_url()
    try:
        yield url
    finally:
        client = redis.Redis.from_url(url, socket_timeout=CONNECT_TIMEOUT)
        try:
            for key in client.scan_iter(match=f"{prefix}:*"):
                client.delete(key)
        finally:
            client.close()
