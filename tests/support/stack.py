"""The whole system as real processes: `python -m bot serve` on free ports, in a temp folder.

Every service of the Procfile runs (Rasa, actions, portal, mail sink, web chat, console) with
its own SQLite databases and mail folder, so tests never touch `var/` or a developer's `.env`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from bot.rasa_auth import bearer
from bot.settings import Settings
from bot.training import model_path
from devtools.processes import start_serving, stop, wait_served

READY_TIMEOUT = 420.0


@dataclass
class Stack:
    settings: Settings
    folder: Path
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def env(self) -> dict[str, str]:
        return self.settings.env

    def url(self, port_name: str) -> str:
        return self.settings.url(port_name)

    def say(self, sender: str, message: str, timeout: float = 60.0) -> list[dict[str, object]]:
        """Sends one message through the REST channel; returns the bot's messages."""
        response = httpx.post(
            f"{self.url('RASA_PORT')}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            timeout=timeout,
        )
        response.raise_for_status()
        result: list[dict[str, object]] = response.json()
        return result

    def tracker(self, sender: str) -> dict[str, Any]:
        """The conversation as Rasa's HTTP API gives it, asked with a JWT in the header (as
        every caller in the repository asks, bot/rasa_auth.py), never a token in the URL."""
        response = httpx.get(
            f"{self.url('RASA_PORT')}/conversations/{quote(sender, safe=':')}/tracker",
            headers=bearer(self.env["RASA_JWT_SECRET"], "tests"),
            timeout=30,
        )
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def user_texts(self, sender: str) -> list[str]:
        """The citizen's messages that reached the assistant in this conversation."""
        events = self.tracker(sender).get("events") or []
        return [str(e.get("text") or "") for e in events if e.get("event") == "user"]

    def portal_client(self) -> httpx.Client:
        """The stack's portal API with its token (the action server's view of it)."""
        return httpx.Client(
            base_url=self.env["PORTAL_URL"],
            headers={"Authorization": f"Bearer {self.env['PORTAL_API_TOKEN']}"},
            timeout=30.0,
        )

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def running_stack(folder: Path, extra: dict[str, str] | None = None) -> Iterator[Stack]:
    model = model_path()
    if not model.is_file():
        raise RuntimeError(f"no trained model at {model}: run `make train` first")
    served = start_serving(folder, model, extra)
    try:
        wait_served(served, READY_TIMEOUT)
        yield Stack(served.settings, folder, served.log, served.process)
    finally:
        stop(served.process)
