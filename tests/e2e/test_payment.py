"""Issue 4 end to end: a citizen pays the demo invoice by direct debit over the REST channel,
in German and in English, with every service running (`python -m bot serve`) and the trained
model. Afterwards the tracker database and every log are scanned for the IBAN's digits.

Needs the model for the current data (`make train`); skipped without it.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bot import training
from bot.health import services, wait_until_ready
from bot.settings import PORT_DEFAULTS, ROOT, resolve

pytestmark = [pytest.mark.integration, pytest.mark.slow]

IBAN = "DE89 3704 0044 0532 0130 00"
# Any run of the account digits, grouped or not, counts as a leak.
LEAKS = ("370400440532013000", "3704 0044 0532", "3704004405320130", "0532 0130")
READY_TIMEOUT = 300.0
REPLY_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class System:
    rasa_url: str
    var_dir: Path
    tracker_db: Path
    log_path: Path

    def send(self, sender: str, text: str) -> list[str]:
        response = httpx.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=REPLY_TIMEOUT,
        )
        response.raise_for_status()
        return [str(message.get("text", "")) for message in response.json()]

    def code_for(self, address: str) -> str:
        for path in sorted((self.var_dir / "mail").glob("*.eml"), reverse=True):
            mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if address not in str(mail["To"]):
                continue
            body = mail.get_body(("plain",))
            assert body is not None
            found = re.search(r"^\s+([0-9]{6})\s*$", body.get_content(), re.MULTILINE)
            if found:
                return found.group(1)
        raise AssertionError(f"no signing code mailed to {address}")


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    model = training.model_path()
    if not model.is_file():
        pytest.skip(f"no trained model at {model}: run `make train`")
    folder = tmp_path_factory.mktemp("e2e-payment")
    var_dir = folder / "var"
    tracker_db = folder / "tracker.db"
    env = {
        **os.environ,
        **{name: str(free_port()) for name in PORT_DEFAULTS},
        "VAR_DIR": str(var_dir),
        "TRACKER_DB_URL": f"sqlite:///{tracker_db}",
        "PORTAL_DB_URL": f"sqlite:///{folder / 'portal.db'}",
        "BUERGERBOT_DOTENV": str(folder / "no.env"),
        "RASA_AUTH_TOKEN": uuid.uuid4().hex,
    }
    for name in ("PORTAL_URL", "ACTIONS_URL", "RASA_URL", "MAIL_DIR", "REDIS_URL"):
        env.pop(name, None)
    settings = resolve(env)
    log_path = folder / "services.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--model", str(model)],
            cwd=ROOT,
            env=settings.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        pending = wait_until_ready(
            services(settings), READY_TIMEOUT, stop=lambda: process.poll() is not None
        )
        assert not pending and process.poll() is None, log_path.read_text(errors="replace")
        yield System(settings.url("RASA_PORT"), var_dir, tracker_db, log_path)
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _pay(system: System, sender: str, messages: list[str], address: str) -> list[list[str]]:
    replies = [system.send(sender, text) for text in messages]
    replies.append(system.send(sender, system.code_for(address)))
    return replies


def test_german_payment_in_at_most_ten_messages(system: System) -> None:
    address = "erika.e2e@example.de"
    messages = [
        "Ich möchte meine Rechnung per Lastschrift bezahlen",
        "Kassenzeichen 4100.2026.0001, 48,00 Euro",
        "Erika Mustermann",
        IBAN.lower(),
        address,
        "Ja",
    ]
    replies = _pay(system, "e2e-de-" + uuid.uuid4().hex[:8], messages, address)
    assert len(replies) <= 10
    text = "\n".join(line for reply in replies for line in reply)
    assert "Abfallgebühren" in text
    assert "DE89 **** **** **** **30 00" in text
    assert "Ich ermächtige" in text
    assert "Mandatsreferenz" in "\n".join(replies[-1])


def test_english_payment(system: System) -> None:
    address = "max.e2e@example.org"
    sender = "e2e-en-" + uuid.uuid4().hex[:8]
    system.send(sender, "Can we speak English?")
    messages = [
        "I want to pay an invoice by direct debit",
        "Kassenzeichen 4100.2026.0002, 60.00 EUR",
        "Max Mustermann",
        "AT61 1904 3002 3457 3201",
        address,
        "yes",
    ]
    replies = _pay(system, sender, messages, address)
    assert len(replies) + 1 <= 10
    assert "Mandate reference" in "\n".join(replies[-1])


def test_no_clear_iban_in_the_tracker_store_or_the_logs(system: System) -> None:
    sender = "e2e-privacy-" + uuid.uuid4().hex[:8]
    system.send(sender, "Ich möchte meine Rechnung per Lastschrift bezahlen")
    system.send(sender, f"Kassenzeichen 4100.2026.0003, 123,45 Euro, IBAN {IBAN}")
    system.send(sender, "abbrechen")
    stores = [system.tracker_db, *system.tracker_db.parent.glob("tracker.db-*")]
    logs = [system.log_path, *system.var_dir.rglob("*.log")]
    for path in [*stores, *logs]:
        content = path.read_bytes().decode("utf-8", errors="replace")
        for leak in LEAKS:
            assert leak not in content, f"clear IBAN digits in {path.name}"
