"""The web chat's layout and safety in Chromium: the smallest phone, 200 % zoom, reduced motion,
and text that looks like HTML staying text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.browser.conftest import Chat, open_chat
from tests.e2e.browser.test_webchat_browser import start
from tests.support.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# 320 px is the narrowest phone WCAG's reflow criterion names; 640×400 is a 1280×800 screen at
# 200 % zoom.
SMALL_SCREENS = {"phone-320": (320, 568), "zoom-200": (640, 400)}


@pytest.fixture(params=list(SMALL_SCREENS))
def small_chat(request: pytest.FixtureRequest, browser: Browser, stack: Stack) -> Iterator[Chat]:
    width, height = SMALL_SCREENS[request.param]
    chat = open_chat(browser, stack, "phone", reduced_motion="reduce")
    chat.page.set_viewport_size({"width": width, "height": height})
    chat.viewport = request.param
    yield chat
    chat.screenshot(request.node.originalname)
    chat.page.context.close()
    assert not chat.foreign_requests(), f"requests to other hosts: {chat.foreign_requests()}"


def test_small_screens_get_the_full_screen_chat_without_sideways_scrolling(
    small_chat: Chat,
) -> None:
    chat = small_chat
    start(chat)
    chat.say("Was kannst du?")
    page = chat.page
    panel = page.locator(".bb-panel").bounding_box()
    size = page.viewport_size
    assert panel and size and panel["width"] == size["width"] and panel["height"] == size["height"]
    overflow = page.evaluate(
        "[...document.querySelectorAll('.bb-panel *')]"
        ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).length"
    )
    assert overflow == 0, "something in the chat is wider than the screen"
    for name in (".bb-input", ".bb-send"):
        expect(page.locator(name)).to_be_in_viewport()
    # Every button and link of the widget is at least 44 px high (WCAG 2.5.5 target size).
    heights = page.evaluate(
        "[...document.querySelectorAll('.bb-panel button, .bb-tools a')]"
        ".map(e => e.getBoundingClientRect().height)"
    )
    assert min(heights) >= 43.5, f"small touch target: {min(heights)} px"


def test_reduced_motion_stops_the_typing_animation(small_chat: Chat) -> None:
    start(small_chat)
    animation = small_chat.page.evaluate(
        "getComputedStyle(document.querySelector('.bb-typing')).animationName"
    )
    assert animation == "none"


def test_html_typed_by_the_citizen_stays_text(small_chat: Chat) -> None:
    chat = small_chat
    start(chat)
    chat.say('<img src="/x" onerror="document.title=1"><b>fett</b>')
    page = chat.page
    expect(page.locator(".bb-user").last).to_contain_text('<img src="/x"')
    assert page.locator(".bb-log img, .bb-log b").count() == 0
    assert page.title() != "1"
