"""Handoff end to end: a citizen talks over socket.io with the whole system running (`stack`),
a staff member takes over in the console (Chromium), writes to the citizen through the
citizen's own channel while the assistant stays silent, and hands back to the assistant."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from tests.e2e.console.conftest import Watched
from tests.e2e.console.console_harness import login
from tests.support.stack import Stack
from tests.support.waiting import wait_until
from tests.support.webchat import Session, issue

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPLY_TIMEOUT = 60.0
STAFF_TEXT = "Guten Tag, hier ist Frau Meier vom Bürgerbüro. <b>Wie</b> kann ich helfen?"


class Citizen:
    """A web chat user on Rasa's socket.io channel with session persistence, in a session the
    web chat service issued (Rasa's channel refuses any other)."""

    def __init__(self, url: str, session: Session) -> None:
        import socketio

        self.session_id = session.session
        self.token = session.token
        self.replies: queue.Queue[str] = queue.Queue()
        self.client = socketio.Client()
        self.client.on("bot_uttered", lambda data: self.replies.put(str(data.get("text", ""))))
        self.client.connect(url, socketio_path="/socket.io", transports=["polling"])
        self.client.emit("session_request", {"session_id": self.token})

    def say(self, text: str) -> None:
        self.client.emit("user_uttered", {"message": text, "session_id": self.token})

    def next_reply(self) -> str:
        return self.replies.get(timeout=REPLY_TIMEOUT)

    def drain(self) -> list[str]:
        """Every reply that arrived so far."""
        seen = []
        while not self.replies.empty():
            seen.append(self.replies.get_nowait())
        return seen


@pytest.fixture
def citizen(stack: Stack) -> Iterator[Citizen]:
    person = Citizen(stack.url("RASA_PORT"), issue(stack.url("WEBCHAT_PORT")))
    yield person
    person.client.disconnect()


@pytest.fixture
def staff(browser: Any, stack: Stack) -> Iterator[Watched]:
    context = browser.new_context()
    page = context.new_page()
    watched = Watched(page)
    page.on("dialog", lambda dialog: (watched.dialogs.append(dialog.message), dialog.dismiss()))
    yield watched
    context.close()
    assert watched.dialogs == []


def wait_for_text(page: Any, url: str, text: str) -> None:
    """Reloads the conversation until the tracker store holds the text (Rasa writes async)."""

    def shown() -> bool:
        if text in page.inner_text("main"):
            return True
        page.goto(url)
        return text in page.inner_text("main")

    wait_until(shown, REPLY_TIMEOUT, f"{text!r} in the console", interval=0.5)


def click(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_take_over_write_and_hand_back(stack: Stack, citizen: Citizen, staff: Watched) -> None:
    citizen.say("Hallo")
    assert citizen.next_reply()  # the assistant answers before the handoff
    console = stack.url("CONSOLE_PORT")
    page = staff.page
    login(page, console, stack.env["CONSOLE_ADMIN_USER"], stack.env["CONSOLE_ADMIN_PASSWORD"])
    view = f"{console}/conversations/{quote(citizen.session_id, safe='')}"
    page.goto(view)
    wait_for_text(page, view, "Hallo")
    click(page, "text=Unterhaltung übernehmen")
    assert "Übernommen von" in page.inner_text(".handoff")
    citizen.drain()

    citizen.say("Hallo? Ist da jemand?")
    wait_for_text(page, view, "Ist da jemand?")  # the message is stored, the assistant silent
    page.fill("textarea[name=text]", STAFF_TEXT)
    click(page, ".handoff button:has-text('Senden')")
    assert citizen.next_reply() == STAFF_TEXT  # nothing from the assistant came before it
    assert STAFF_TEXT in page.inner_text("main")  # shown as text, not markup

    click(page, "text=An den Assistenten zurückgeben")
    assert "Was möchten Sie tun?" in citizen.next_reply()
    assert "Unterhaltung übernehmen" in page.inner_text(".handoff")
    citizen.drain()
    citizen.say("Was kannst du?")
    assert citizen.next_reply()  # the assistant answers again
    page.goto(view)
    main = page.inner_text("main")
    assert main.index("pause") < main.index(STAFF_TEXT) < main.index("resume")
