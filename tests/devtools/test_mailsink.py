"""The development mail sink: a real SMTP server that keeps every mail as a file."""

from __future__ import annotations

import email
import email.policy
import os
import signal
import smtplib
import socket
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

from devtools.processes import free_port
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration  # starts the real mail sink process

ROOT = Path(__file__).resolve().parents[2]


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    def listening() -> bool:
        assert process.poll() is None, "mail sink exited early"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    wait_until(listening, 30, "the mail sink to listen")


def _message(number: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "buergerbot@localhost"
    message["To"] = "erika@example.org"
    message["Subject"] = f"Nachricht {number} – Grüße"
    message.set_content(f"Inhalt {number}: Bestätigungscode 123456")
    return message


def test_mails_are_saved_in_order_and_sigterm_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    folder = tmp_path / "mail"
    env = {**os.environ, "BIND_HOST": "127.0.0.1", "SMTP_PORT": str(port), "MAIL_DIR": str(folder)}
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.mailsink"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process)
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            for number in range(5):
                smtp.send_message(_message(number))
        files = sorted(folder.glob("*.eml"))
        assert len(files) == 5
        assert len({f.name for f in files}) == 5
        subjects = [
            str(email.message_from_bytes(f.read_bytes(), policy=email.policy.default)["Subject"])
            for f in files
        ]
        assert subjects == [f"Nachricht {n} – Grüße" for n in range(5)]
        assert not list(folder.glob("*.part"))
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=15)
    assert code == 0
