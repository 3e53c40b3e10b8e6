"""Fixtures shared by every test folder."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import clock
from tests.support import browser as chromium_browser
from tests.support import services
from tests.support.platforms import FakePlatform, running_fake, telegram_answer, whatsapp_answer
from tests.support.stack import Stack, running_stack


@pytest.fixture(scope="session", autouse=True)
def own_servers() -> Iterator[None]:
    """The PostgreSQL and Redis the tests started (tests/support/services.py, on first use)
    stop at the end of the session."""
    yield
    services.stop()


@pytest.fixture(scope="session")
def postgresql_url() -> str:
    """The admin URL of the tests' PostgreSQL (TEST_POSTGRESQL_URL, or a server of their own)."""
    return services.postgresql_url()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The URL of the tests' Redis (TEST_REDIS_URL, or a server of their own)."""
    return services.redis_url()


@dataclass
class Platforms:
    """The fake Telegram Bot API and WhatsApp Graph API the session's stack replies to."""

    telegram: FakePlatform
    whatsapp: FakePlatform

    def env(self) -> dict[str, str]:
        """The channel settings of the stack (docs/settings.md), secrets random per run."""
        return {
            "TELEGRAM_TOKEN": f"12345:{secrets.token_urlsafe(24)}",
            "TELEGRAM_WEBHOOK_SECRET": secrets.token_urlsafe(24),
            "TELEGRAM_API_URL": self.telegram.url,
            "WHATSAPP_TOKEN": secrets.token_urlsafe(24),
            "WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
            "WHATSAPP_APP_SECRET": secrets.token_hex(16),
            "WHATSAPP_VERIFY_TOKEN": secrets.token_urlsafe(16),
            "WHATSAPP_API_URL": f"{self.whatsapp.url}/v21.0",
        }


@pytest.fixture(scope="session")
def platforms() -> Iterator[Platforms]:
    """Real HTTP servers on 127.0.0.1 playing Telegram's and WhatsApp's APIs."""
    with running_fake(telegram_answer) as telegram, running_fake(whatsapp_answer) as whatsapp:
        yield Platforms(telegram, whatsapp)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, platforms: Platforms) -> Iterator[Stack]:
    """The whole system, started once per test session (Rasa takes a while to load).

    Its processes read the time from a file of its own while that exists (`clock.set_time`),
    so a test can run time-dependent paths on any day and hour."""
    folder = tmp_path_factory.mktemp("stack")
    # A small per-address limit, met only by tests that name a client address through the
    # trusted loopback proxy (tests/e2e/test_client_limits.py, tests/e2e/test_webchat_guard.py);
    # loopback itself is exempt.
    limits = {
        "ADDRESS_RATE_BURST": "6",
        "ADDRESS_RATE_PER_MINUTE": "1",
        "WEBCHAT_MAX_CONNECTIONS_PER_ADDRESS": "3",
    }
    extra = {**platforms.env(), **limits, clock.FILE_SETTING: str(folder / "clock")}
    with running_stack(folder, extra=extra) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for the browser tests of one module.

    One place for every browser test, because Playwright's sync API allows one driver per
    thread; per module, because while it runs it holds an asyncio loop in the main thread, and
    tests elsewhere that call `asyncio.run` must find none.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        chromium = chromium_browser.launch(driver)
        yield chromium
        chromium.close()
