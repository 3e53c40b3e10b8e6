"""The whole system as real processes: `python -m bot serve` on free ports, in a temp folder.

Every service of the Procfile runs (Rasa, actions, portal, mail sink, web chat, console) with
its own SQLite databases and mail folder, so tests never touch `var/` or a developer's `.env`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx

from bot.rasa_auth import bearer
from bot.settings import Settings
from bot.training import model_path
from devtools.processes import start_serving, stop, wait_served
from tests.support import localhttp

READY_TIMEOUT = 420.0
CITY_ZONE = ZoneInfo("Europe/Berlin")  # the service hours' zone (data/catalogue/handoff.yml)


def next_weekday(weekday: int, hour: int) -> datetime:
    """The next such weekday (0 = Monday) at `hour` in the city, at least a day ahead, so that
    the portal's dates stay near the real ones. For the `moment` fixture (tests/e2e/conftest.py):
    what a test says at a given hour must not depend on when the suite runs."""
    day = datetime.now(CITY_ZONE).date() + timedelta(days=1)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=CITY_ZONE)


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
        response = localhttp.post(
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
        response = localhttp.get(
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
        return localhttp.Client(
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
