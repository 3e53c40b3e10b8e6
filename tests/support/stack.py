"""The whole system as real processes: `python -m bot serve` on free ports, in a temp folder.

Every service of the Procfile runs (Rasa, actions, portal, mail sink, web chat, console) with
its own SQLite databases and mail folder, so tests never touch `var/` or a developer's `.env`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.health import services, wait_until_ready
from bot.processes import isolated_env, stop
from bot.settings import ROOT, Settings, resolve
from bot.training import model_path

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

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def running_stack(folder: Path, extra: dict[str, str] | None = None) -> Iterator[Stack]:
    model = model_path()
    if not model.is_file():
        raise RuntimeError(f"no trained model at {model}: run `make train` first")
    env = isolated_env(folder, extra)
    settings = resolve(env, dotenv=Path(os.devnull))
    log = folder / "stack.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--model", str(model)],
            cwd=ROOT, env=settings.env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    stack = Stack(settings, folder, log, process)
    try:
        pending = wait_until_ready(
            services(settings), READY_TIMEOUT, stop=lambda: process.poll() is not None
        )
        if pending or process.poll() is not None:
            names = ", ".join(s.name for s in pending) or "launcher exited"
            raise RuntimeError(f"stack not ready ({names}):\n{stack.log_text()[-4000:]}")
        yield stack
    finally:
        stop(process)
