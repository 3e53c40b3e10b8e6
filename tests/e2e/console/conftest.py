"""Fixtures of the console's browser tests: Debian's Chromium through Playwright, and one
console process per tracker store kind (SQLite, PostgreSQL) over a seeded tracker store."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from console import accounts
from console.db import open_console_db
from console.pseudonym import Pseudonyms
from tests.e2e.console.console_harness import (
    Console,
    action,
    bot,
    console_env,
    database,
    paused,
    running_console,
    slot,
    user,
    write_conversations,
)

REVIEWER = "rita.reviewer"
REVIEWER_PASSWORD = "reviewer-password-123"
LOCKED = "lotte.locked"
LOCKED_PASSWORD = "locked-password-1234"
XSS_SENDER = "<img src=x onerror=alert(2)>"
XSS_TEXTS = ("<script>alert(1)</script>", '<img src=x onerror="alert(1)">')
FILLERS = 26  # more than one page of 25


def seed(now: float) -> dict[str, list[Any]]:
    """The conversations every browser test reads (times relative to now)."""
    t = now - 3600
    iban = {"entity": "iban", "value": "DE89370400440532013000", "start": 9, "end": 36}
    email = {"entity": "email", "value": "erika@example.org", "start": 0, "end": 17}
    conversations: dict[str, list[Any]] = {
        "conv-payment": [
            action("action_session_start", t),
            user(
                "Ich möchte die Hundesteuer abbuchen lassen",
                "pay_invoice",
                0.97,
                t + 1,
                channel="socketio",
            ),
            bot("Gern. Wie lautet das Kassenzeichen?", t + 2),
            user(
                "IBAN ist DE89 3704 0044 0532 0130 00",
                "inform",
                0.58,
                t + 3,
                entities=[iban],
                channel="socketio",
            ),
            user("erika@example.org", "inform", 0.93, t + 4, entities=[email], channel="socketio"),
            slot("email", "erika@example.org", t + 5),
            slot("mandate_reference", "410020260001-01", t + 6),
            bot("Das Mandat ist unterschrieben.", t + 7),
            slot("feedback_rating", "up", t + 8),
            slot("feedback_comment", "no", t + 8.5),  # a comment is no rating
            slot("feedback_log", [{"reference": None, "rating": "up", "comment": "no"}], t + 9),
        ],
        "conv-fallback": [
            user("wann kommt der sperrmüll", "bulky_waste", 0.91, t + 10),
            bot("Ihr Anliegen SR-2026-000123 ist eingegangen.", t + 11),
            user("qwrtz plm", "nlu_fallback", 0.21, t + 12),
            action("action_fallback", t + 13),
            bot("Meinten Sie …?", t + 14),
        ],
        "conv-english": [
            slot("language", "en", t + 20),
            user(
                "I need a passport appointment",
                "book_appointment",
                0.55,
                t + 21,
                channel="telegram",
            ),
            bot("Which service do you need?", t + 22),
            slot("feedback_log", [{"reference": "SR-2026-000077", "rating": "down"}], t + 23),
        ],
        "conv-handoff": [
            user("ich will mit einem menschen sprechen", "human_handoff", 0.96, t + 30),
            bot("Ich verbinde Sie.", t + 31),
            paused(t + 32),
        ],
        XSS_SENDER: [
            user(XSS_TEXTS[0], "greet", 0.9, t + 40),
            bot(XSS_TEXTS[1], t + 41),
            user(XSS_TEXTS[1], "inform", 0.9, t + 42),
        ],
        "conv-old": [user("alte frage zur grundsteuer", "faq", 0.99, now - 40 * 86400)],
    }
    for n in range(FILLERS):
        conversations[f"filler-{n:02d}"] = [user(f"hallo {n}", "greet", 0.99, t - 600 - n)]
    return conversations


@dataclass
class Seeded:
    console: Console
    tracker_url: str
    kind: str
    now: float

    @property
    def url(self) -> str:
        return self.console.url

    def handle(self, sender_id: str) -> str:
        """The pseudonym the console shows for a conversation (console/pseudonym.py)."""
        return Pseudonyms(self.console.env["CONSOLE_SESSION_SECRET"]).handle(sender_id)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seeded]:
    kind = str(request.param)
    folder: Path = tmp_path_factory.mktemp(f"console-{kind}")
    now = time.time()
    console_db = f"sqlite:///{folder / 'console.db'}"
    engine = open_console_db(console_db)
    accounts.upsert(engine, REVIEWER, REVIEWER_PASSWORD, "reviewer")
    accounts.upsert(engine, LOCKED, LOCKED_PASSWORD, "reviewer")
    engine.dispose()
    with database(kind, folder, "tracker") as tracker_url:
        write_conversations(tracker_url, seed(now))
        env = console_env(folder, tracker_url, console_db)
        with running_console(folder, env) as console:
            yield Seeded(console, tracker_url, kind, now)


@dataclass
class Watched:
    """A page whose script dialogs (alert) and requests to other hosts are recorded."""

    page: Any
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    # the seeded conversations by the pseudonym the pages show
    senders: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def watched(browser: Any, seeded: Seeded) -> Iterator[Watched]:
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    names = [*seed(seeded.now), "conv-payment"]
    result = Watched(page, senders={seeded.handle(sender): sender for sender in names})

    def on_dialog(dialog: Any) -> None:
        result.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("request", lambda req: result.requests.append(req.url))
    yield result
    context.close()
    # No test may ever make a script run, and nothing may load from another host.
    assert result.dialogs == []
    assert all(url.startswith((seeded.url, "data:")) for url in result.requests), result.requests


# --- the privacy, authorisation and audit tests (HTTP only, no browser) ----------------------

SECOND_ADMIN = "adam.admin"
SECOND_ADMIN_PASSWORD = "second-admin-password-1"
WHATSAPP_SENDER = "whatsapp:4917612345678"
VICTIM = "victim-conversation"
# What the WhatsApp citizen's conversation holds in clear: none of it may reach a page or an
# export unless an admin revealed the conversation.
CLEAR_VALUES = (
    "Erika", "Mustermann", "erika.mustermann@example.org", "4917612345678", "0176 98765432",
    "98765432", "Bahnhofstraße 12", "35037", "Weidenhäuser Str. 7",
)  # fmt: skip


def privacy_seed(now: float) -> dict[str, list[Any]]:
    t = now - 1800
    name = {"entity": "person_name", "value": "Erika Mustermann", "start": 9, "end": 25}
    email = {"entity": "email", "value": "erika.mustermann@example.org", "start": 0, "end": 28}
    return {
        WHATSAPP_SENDER: [
            user(
                "Ich heiße Erika Mustermann und wohne in der Bahnhofstraße 12, 35037 Marburg",
                "bulky_waste", 0.93, t, entities=[name], channel="whatsapp",
            ),
            slot("account_holder", "Erika Mustermann", t + 1),
            slot("waste_address", "Bahnhofstraße 12, 35037 Marburg", t + 2),
            user("erika.mustermann@example.org", "inform", 0.95, t + 3, entities=[email],
                 channel="whatsapp"),
            slot("email", "erika.mustermann@example.org", t + 4),
            user("Rückruf bitte unter 0176 98765432, sonst Weidenhäuser Str. 7", "inform", 0.9,
                 t + 5, channel="whatsapp"),
            bot("Danke, Frau Mustermann. Wir schreiben an erika.mustermann@example.org.", t + 6),
            bot("Sperrmüll-Anliegen SR-2026-000321 ist eingegangen.", t + 7),
        ],
        VICTIM: [user("bitte nicht löschen", "greet", 0.99, t + 10), bot("Hallo!", t + 11)],
    }  # fmt: skip


@dataclass
class Staffed:
    """A console over a seeded tracker store whose time the test moves (clock file)."""

    url: str
    tracker_url: str
    console_url: str
    clock_file: Path
    console: Console


@pytest.fixture(scope="session")
def staffed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Staffed]:
    folder: Path = tmp_path_factory.mktemp("console-staffed")
    now = time.time()
    console_db = f"sqlite:///{folder / 'console.db'}"
    engine = open_console_db(console_db)
    accounts.upsert(engine, REVIEWER, REVIEWER_PASSWORD, "reviewer")
    accounts.upsert(engine, LOCKED, LOCKED_PASSWORD, "reviewer")
    accounts.upsert(engine, SECOND_ADMIN, SECOND_ADMIN_PASSWORD, "admin")
    engine.dispose()
    clock_file = folder / "clock"
    with database("sqlite", folder, "tracker") as tracker_url:
        write_conversations(tracker_url, privacy_seed(now))
        env = console_env(folder, tracker_url, console_db, BUERGERBOT_CLOCK_FILE=str(clock_file))
        with running_console(folder, env) as console:
            yield Staffed(console.url, tracker_url, console_db, clock_file, console)
