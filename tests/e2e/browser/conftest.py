"""Playwright fixtures for the web chat's browser tests: Debian's Chromium, headless, a phone and a
desktop viewport, and a page that records every request so that a test fails on any other host."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.settings import ROOT
from tests.support.stack import Stack

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
ARTIFACTS = ROOT / "var" / "test-artifacts"
REPLY_TIMEOUT_MS = 90_000  # Rasa on a loaded two-core machine


@dataclass
class Chat:
    """The demo page with the widget, and what it requested."""

    page: Page
    stack: Stack
    viewport: str
    requests: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return self.stack.url("WEBCHAT_PORT")

    def open(self, path: str = "/") -> None:
        self.page.goto(self.base + path)

    def wait_for_text(self, text: str | re.Pattern[str]) -> None:
        expect(self.page.locator(".bb-log")).to_contain_text(text, timeout=REPLY_TIMEOUT_MS)

    def bot_count(self) -> int:
        return self.page.locator(".bb-bot").count()

    def say(self, text: str) -> None:
        """Types a message and waits until a new bot message follows it."""
        before = self.bot_count()
        self.page.locator(".bb-input").fill(text)
        self.page.locator(".bb-input").press("Enter")
        self.wait_for_more_bot_messages(before)

    def wait_for_more_bot_messages(self, before: int) -> None:
        expect(self.page.locator(".bb-bot")).not_to_have_count(before, timeout=REPLY_TIMEOUT_MS)
        # A reply can come as several messages: wait until the typing indicator is gone.
        expect(self.page.locator(".bb-typing")).to_be_hidden(timeout=REPLY_TIMEOUT_MS)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"webchat-{name}-{self.viewport}.png"
        self.page.screenshot(path=str(path))
        return path

    def foreign_requests(self) -> list[str]:
        host = urlsplit(self.base).netloc
        return [url for url in self.requests if urlsplit(url).netloc != host]


def open_chat(browser: Browser, stack: Stack, viewport: str, **options: object) -> Chat:
    context = browser.new_context(
        viewport=VIEWPORTS[viewport],  # type: ignore[arg-type]
        accept_downloads=True,
        locale="de-DE",
        **options,  # type: ignore[arg-type]
    )
    page = context.new_page()
    chat = Chat(page, stack, viewport)
    page.on("request", lambda request: chat.requests.append(request.url))
    page.on("websocket", lambda socket: chat.requests.append(socket.url))
    return chat


@pytest.fixture(params=list(VIEWPORTS))
def chat(request: pytest.FixtureRequest, browser: Browser, stack: Stack) -> Iterator[Chat]:
    """A fresh browser context per test (fresh sessionStorage), at each viewport; afterwards a
    screenshot, and a failure if the page asked any other host for anything."""
    chat = open_chat(browser, stack, request.param)
    yield chat
    chat.screenshot(request.node.originalname)
    chat.page.context.close()
    assert not chat.foreign_requests(), f"requests to other hosts: {chat.foreign_requests()}"


@pytest.fixture
def phone_chat(request: pytest.FixtureRequest, browser: Browser, stack: Stack) -> Iterator[Chat]:
    chat = open_chat(browser, stack, "phone")
    yield chat
    chat.screenshot(request.node.originalname)
    chat.page.context.close()
    assert not chat.foreign_requests(), f"requests to other hosts: {chat.foreign_requests()}"
