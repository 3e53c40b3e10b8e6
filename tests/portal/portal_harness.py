"""Runs the real portal and mail sink as processes for the tests, and reads the mails."""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from devtools.processes import free_port
from tests.support import localhttp, services
from tests.support.mail import MailFolder
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token-" + uuid.uuid4().hex
# The portal API's own tests run with a city that lets revocations and certificate orders go
# without a login ("none" in signing.yml), so they test what they name; the city's policy as
# shipped (a login for both) is tested where the login is: tests/portal/saml (own policy), the
# portal client (tests/actions/test_portal_client_live.py) and the whole system (tests/e2e).
OPEN_POLICY = """sign_mandate:
  level: substantial
  email_code_max_amount: "1000.00"
revoke_mandate:
  level: none
order_certificate:
  level: none
"""
_open_data: list[Path] = []


def open_policy_data() -> Path:
    """A copy of the city's data folder (made once per test process) with `OPEN_POLICY`."""
    if not _open_data:
        folder = Path(tempfile.mkdtemp(prefix="portal-data-"))
        atexit.register(shutil.rmtree, folder, True)
        shutil.copytree(ROOT / "data", folder / "data")
        (folder / "data" / "signing.yml").write_text(OPEN_POLICY, encoding="utf-8")
        _open_data.append(folder / "data")
    return _open_data[0]


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def stop(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    return int(process.returncode)


class MailSink(MailFolder):
    """The running mail sink process and the folder it saves each mail into."""

    def __init__(self, port: int, folder: Path, process: subprocess.Popen[bytes]) -> None:
        super().__init__(folder)
        self.port = port
        self.process = process


@contextmanager
def mail_sink(folder: Path, port: int | None = None) -> Iterator[MailSink]:
    """The development mail sink on a free port, or on `port` (a mail server coming back)."""
    port = port or free_port()
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "BIND_HOST": "127.0.0.1", "SMTP_PORT": str(port), "MAIL_DIR": str(folder)}
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.mailsink"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: _port_open(port) or process.poll() is not None, 30, "mail sink")
        assert process.poll() is None, "mail sink did not start"
        yield MailSink(port, folder, process)
    finally:
        stop(process)


@dataclass
class PortalProcess:
    url: str
    db_url: str
    var_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes]
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, token: str | None = TOKEN) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = localhttp.Client(base_url=self.url, headers=headers, timeout=30)
        self.clients.append(client)
        return client

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def portal_process(
    db_url: str, var_dir: Path, smtp_port: int, **extra_env: str
) -> Iterator[PortalProcess]:
    port = free_port()
    var_dir.mkdir(parents=True, exist_ok=True)
    log_path = var_dir / "portal.log"
    env = {
        **os.environ,
        "PORTAL_API_TOKEN": TOKEN,
        "PORTAL_PORT": str(port),
        "BIND_HOST": "127.0.0.1",
        "PORTAL_DB_URL": db_url,
        "VAR_DIR": str(var_dir),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "DATA_DIR": str(open_policy_data()),
        **extra_env,
    }
    for name in ("PORTAL_ENCRYPTION_KEY", "SMTP_USER", "PORTAL_PUBLIC_URL"):
        if name not in extra_env:
            env.pop(name, None)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "portal"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
    running = PortalProcess(f"http://127.0.0.1:{port}", db_url, var_dir, log_path, process)
    try:
        wait_until(lambda: _healthy(running) or process.poll() is not None, 60, "portal start")
        assert process.poll() is None, f"portal did not start:\n{running.log()}"
        yield running
    finally:
        for client in running.clients:
            client.close()
        stop(process)


def _healthy(running: PortalProcess) -> bool:
    try:
        return localhttp.get(running.url + "/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """A fresh database: the SQLite file `folder/portal.db`, or a uniquely named PostgreSQL
    database on the tests' server (tests/support/services.py)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'portal.db'}"
        return
    with services.postgresql_database("portal_test") as url:
        yield url


MANDATE = {
    "kassenzeichen": "4100.2026.0001",
    "amount": "48.00",
    "account_holder": "Erika Mustermann",
    "iban": "DE89 3704 0044 0532 0130 00",
    "email": "erika@example.org",
    "consent_text_version": "sepa-mandate-2026-1",
    "channel": "test",
}


@contextmanager
def sqlite_portal_with_sink(folder: Path) -> Iterator[tuple[PortalProcess, MailSink]]:
    """A mail sink and a portal on SQLite in `folder`: what the action-server tests share."""
    (folder / "mail").mkdir()
    with (
        mail_sink(folder / "mail") as sink,
        portal_process(f"sqlite:///{folder / 'portal.db'}", folder / "var", sink.port) as portal,
    ):
        yield portal, sink
