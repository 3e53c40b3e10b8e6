"""The staff console as a real process against a tracker store filled by Rasa's own code.

Conversations are written through `RedactingSQLTrackerStore` (what the Rasa server uses), so
the rows have exactly Rasa's shape and pass the same IBAN masking; timestamps are chosen by the
test, which gives retention and the date filters a controlled clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from devtools.processes import free_port
from tests.support import localhttp
from tests.support.services import database
from tests.support.waiting import wait_until

__all__ = ["database"]  # the fixtures make their tracker stores with it

ROOT = Path(__file__).resolve().parents[3]
ADMIN = "admin"
ADMIN_PASSWORD = "admin-" + secrets.token_urlsafe(12)


# Rasa-shaped events, built by Rasa's own classes.
def user(text: str, intent: str, confidence: float, at: float, **extra: Any) -> Any:
    from rasa.shared.core.events import UserUttered

    entities = extra.pop("entities", [])
    parse = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": entities,
        "intent_ranking": [{"name": intent, "confidence": confidence}],
    }
    return UserUttered(
        text,
        parse["intent"],
        entities,
        parse,
        timestamp=at,
        input_channel=extra.pop("channel", "rest"),
    )


def bot(text: str, at: float) -> Any:
    from rasa.shared.core.events import BotUttered

    return BotUttered(text, timestamp=at)


def action(name: str, at: float) -> Any:
    from rasa.shared.core.events import ActionExecuted

    return ActionExecuted(name, policy="RulePolicy", confidence=1.0, timestamp=at)


def slot(name: str, value: Any, at: float) -> Any:
    from rasa.shared.core.events import SlotSet

    return SlotSet(name, value, timestamp=at)


def paused(at: float) -> Any:
    from rasa.shared.core.events import ConversationPaused

    return ConversationPaused(timestamp=at)


def write_conversations(tracker_url: str, conversations: dict[str, list[Any]]) -> None:
    """Stores the events the way the Rasa server does (redacting SQL tracker store)."""
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.tracker_store import RedactingSQLTrackerStore

    async def save_all() -> None:
        store = RedactingSQLTrackerStore(host=tracker_url)
        for sender_id, events in conversations.items():
            await store.save(DialogueStateTracker.from_events(sender_id, events, slots=[]))
        store.engine.dispose()

    # A thread of its own: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, save_all()).result()


def write_conversation(tracker_url: str, sender_id: str, events: list[Any]) -> None:
    write_conversations(tracker_url, {sender_id: events})


@dataclass
class Console:
    url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def console_env(folder: Path, tracker_url: str, console_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONSOLE_", "RASA_"))}
    env.update(
        {
            "BUERGERBOT_DOTENV": os.devnull,
            "PYTHONPATH": str(ROOT),
            "VAR_DIR": str(folder / "var"),
            "CONSOLE_PORT": str(free_port()),
            "CONSOLE_DB_URL": console_url,
            "TRACKER_DB_URL": tracker_url,
            "CONSOLE_ADMIN_USER": ADMIN,
            "CONSOLE_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "CONSOLE_SESSION_SECRET": secrets.token_urlsafe(24),
            "RASA_URL": "http://127.0.0.1:9",  # no Rasa unless a test gives one
            "RASA_AUTH_TOKEN": secrets.token_urlsafe(16),
            "PYTHONWARNINGS": "ignore",
        }
    )
    env.update(extra)
    return env


@contextlib.contextmanager
def running_console(folder: Path, env: dict[str, str], timeout: float = 60.0) -> Iterator[Console]:
    log = folder / f"console-{env['CONSOLE_PORT']}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "console"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{env['CONSOLE_PORT']}"
    console = Console(url, env, process, log)
    try:

        def ready() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"console exited:\n{console.log_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                return localhttp.get(f"{url}/health", timeout=2).status_code == 200
            return False

        try:
            wait_until(ready, timeout, "the console's /health", interval=0.2)
        except AssertionError as late:
            raise RuntimeError(f"console not ready:\n{console.log_text()[-3000:]}") from late
        yield console
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


def login(
    page: Any, url: str, username: str = ADMIN, password: str = ADMIN_PASSWORD, fresh: bool = True
) -> None:
    """Logs in through the form; `fresh` first drops the cookies (a logged-in `/` redirects)."""
    if fresh:
        page.context.clear_cookies()
    page.goto(f"{url}/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form.login button[type=submit]")


def session_cookie(page: Any) -> str | None:
    for cookie in page.context.cookies():
        if cookie["name"] == "console_session" and cookie["value"]:
            return str(cookie["value"])
    return None


def session_headers(page: Any) -> dict[str, str]:
    """httpx keeps no Secure cookie over http, so the browser's cookie is passed by hand."""
    return {"Cookie": f"console_session={session_cookie(page)}"}


def csrf_of(page: Any) -> str:
    return str(page.locator("input[name=csrf]").first.get_attribute("value"))
