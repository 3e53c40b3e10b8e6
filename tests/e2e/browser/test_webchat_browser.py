"""Issue 6 in a real browser: the web chat at a phone and a desktop viewport against the whole
running system (the session's `stack`): messages, quick replies, history after a reload, the
offline queue, the language switch, the payment flow to the signed mandate, axe-core, keyboard
only, and no request to any other host (checked by the `chat` fixture after every test)."""

from __future__ import annotations

import json
import re
import shutil
import uuid

import pytest
from playwright.sync_api import expect

from bot.rasa_auth import bearer
from bot.settings import ROOT
from tests.e2e.browser.conftest import ARTIFACTS, REPLY_TIMEOUT_MS, Chat
from tests.e2e.test_payment import IBAN, LEAKS, code_for
from tests.support import localhttp
from tests.support.idp import without_active_mandates
from tests.support.stack import Stack
from tests.support.webchat import Session, open_session, reply_texts, run

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WELCOME_END = "Wie kann ich Ihnen helfen?"
FIRST_LOAD_BUDGET = 150 * 1024
AXE = ROOT / "webchat" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def session_id(chat: Chat) -> str:
    return stored_session(chat).session


def stored_session(chat: Chat) -> Session:
    """The session the server issued to the page, and the signed token the page keeps."""
    stored = json.loads(chat.page.evaluate("sessionStorage.getItem('buergerbot-webchat')"))
    return Session(str(stored["session"]), str(stored["token"]))


def say_from_elsewhere(chat: Chat, text: str, until: str) -> None:
    """The same citizen writes from a second tab (its own socket in the same session): the
    reply goes to the session's room while this page may be away."""

    session = stored_session(chat)  # Playwright only in this thread, not in `run`'s

    async def other_tab() -> None:
        socket = await open_session(chat.base, session)
        await reply_texts(socket, session, text, until)
        await socket.close()

    run(other_tab())


def user_texts(stack: Stack, sender: str) -> list[str]:
    """What Rasa's tracker holds as the citizen's messages (the proof of "sent once")."""
    response = localhttp.get(
        f"{stack.url('RASA_PORT')}/conversations/{sender}/tracker",
        headers=bearer(stack.env["RASA_JWT_SECRET"], "tests"),
        timeout=30,
    )
    response.raise_for_status()
    return [e.get("text", "") for e in response.json()["events"] if e["event"] == "user"]


def start(chat: Chat) -> None:
    chat.open()
    chat.wait_for_text(WELCOME_END)
    expect(chat.page.locator(".bb-typing")).to_be_hidden(timeout=REPLY_TIMEOUT_MS)


def test_a_quick_reply_and_a_message_get_replies(chat: Chat) -> None:
    start(chat)
    before = chat.bot_count()
    chat.page.get_by_role("button", name="Was kannst du?").click()
    chat.wait_for_more_bot_messages(before)
    chat.wait_for_text("Dabei kann ich Ihnen helfen")
    expect(chat.page.locator(".bb-user").last).to_have_text(re.compile("Was kannst du"))
    expect(chat.page.locator(".bb-input")).to_be_focused()
    expect(chat.page.get_by_role("button", name="Hund anmelden")).to_be_visible()
    chat.screenshot("quick-replies")  # the README's phone view (docs/screenshots)
    chat.say("Bist du ein Mensch?")
    chat.wait_for_text("kein Mensch")
    # Quick replies belong to the latest answer only.
    expect(chat.page.get_by_role("button", name="Hund anmelden")).to_have_count(0)


def test_a_reload_shows_the_history_and_continues_the_session(chat: Chat) -> None:
    start(chat)
    chat.say("Bist du ein Mensch?")
    chat.wait_for_text("kein Mensch")
    before = chat.page.locator(".bb-msg").all_inner_texts()
    sender = session_id(chat)
    chat.page.reload()
    expect(chat.page.locator(".bb-msg")).to_have_count(len(before))
    assert chat.page.locator(".bb-msg").all_inner_texts() == before
    chat.say("Danke")
    chat.wait_for_text("Gern geschehen")
    assert session_id(chat) == sender
    assert user_texts(chat.stack, sender)[-1] == "Danke"


def test_messages_typed_offline_are_sent_once_on_reconnect(chat: Chat) -> None:
    start(chat)
    sender = session_id(chat)
    chat.page.context.set_offline(True)
    expect(chat.page.locator(".bb-status")).to_contain_text("Keine Verbindung")
    chat.page.locator(".bb-input").fill("Danke schön")
    chat.page.locator(".bb-input").press("Enter")
    expect(chat.page.locator(".bb-queued")).to_have_count(1)
    before = chat.bot_count()
    chat.page.context.set_offline(False)
    chat.wait_for_more_bot_messages(before)
    chat.wait_for_text("Gern geschehen")
    expect(chat.page.locator(".bb-queued")).to_have_count(0)
    assert user_texts(chat.stack, sender).count("Danke schön") == 1


def test_replies_sent_while_offline_are_shown_after_reconnect(chat: Chat) -> None:
    start(chat)
    chat.page.context.set_offline(True)
    expect(chat.page.locator(".bb-status")).to_contain_text("Keine Verbindung")
    # From a second tab the reply reaches the tracker but not this page: a reply it missed.
    say_from_elsewhere(chat, "Danke", "Gern geschehen")
    chat.page.context.set_offline(False)
    chat.wait_for_text("Gern geschehen")
    expect(chat.page.locator(".bb-bot", has_text="Gern geschehen")).to_have_count(1)


def test_the_language_switch_changes_the_page_and_the_conversation(chat: Chat) -> None:
    start(chat)
    before = chat.bot_count()
    chat.page.get_by_role("button", name="Switch to English").click()
    chat.wait_for_more_bot_messages(before)
    chat.wait_for_text("Sure, we can continue in English")
    expect(chat.page.locator(".bb-root")).to_have_attribute("lang", "en")
    expect(chat.page.locator(".bb-title")).to_have_text("Digital assistant")
    chat.say("What can you do?")
    chat.wait_for_text("This is what I can help you with")
    chat.page.get_by_role("button", name="Auf Deutsch wechseln").click()
    chat.wait_for_text("wir sprechen Deutsch weiter")
    expect(chat.page.locator(".bb-root")).to_have_attribute("lang", "de")


def test_axe_finds_no_violations_of_wcag_a_and_aa(chat: Chat) -> None:
    start(chat)
    chat.say("Was kannst du?")
    for path in ("/", "/datenschutz"):
        if path != "/":
            chat.open(path)
        chat.page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
        result = chat.page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
        )
        found = [(v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]
        assert not found, f"axe on {path}: {found}"


def test_the_first_load_is_small_and_stays_on_the_host(chat: Chat) -> None:
    sizes: list[int] = []
    chat.page.on("response", lambda response: sizes.append(len(response.body())))
    start(chat)
    assert chat.requests and not chat.foreign_requests()
    assert sum(sizes) <= FIRST_LOAD_BUDGET, f"first load {sum(sizes)} bytes"
    csp = localhttp.get(chat.base, timeout=10).headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp


def test_keyboard_only(chat: Chat) -> None:
    start(chat)
    page = chat.page
    reached = []
    for _ in range(30):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.className"))
        if "bb-input" in reached[-1]:
            break
    assert "bb-input" in reached[-1], f"the input is not reachable by Tab: {reached}"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "no visible focus"
    before = chat.bot_count()
    page.keyboard.type("Hilfe")
    page.keyboard.press("Enter")
    chat.wait_for_more_bot_messages(before)
    chat.wait_for_text("Dabei kann ich Ihnen helfen")
    # Back to the quick replies with Shift+Tab, choose one with Enter.
    for _ in range(40):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.textContent") == "Mangel melden":
            break
    before = chat.bot_count()
    page.keyboard.press("Enter")
    chat.wait_for_more_bot_messages(before)
    expect(page.locator(".bb-input")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator(".bb-launcher")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".bb-input")).to_be_focused()


def test_new_conversation_forgets_the_session(chat: Chat) -> None:
    start(chat)
    old = session_id(chat)
    chat.page.get_by_role("button", name="Neues Gespräch").click()
    chat.wait_for_text(WELCOME_END)
    assert session_id(chat) != old
    expect(chat.page.locator(".bb-user")).to_have_count(0)


def test_payment_to_the_signed_mandate_on_a_phone(phone_chat: Chat, stack: Stack) -> None:
    without_active_mandates(stack, "4100.2026.0001")
    chat = phone_chat
    address = f"web.{uuid.uuid4().hex[:6]}@example.de"
    start(chat)
    for message in (
        "Ich möchte meine Rechnung per Lastschrift bezahlen",
        "Kassenzeichen 4100.2026.0001, 48,00 Euro",
        "Lena Becker",
        IBAN,
        address,
    ):
        chat.say(message)
    chat.wait_for_text("Ich ermächtige")
    chat.page.locator(".bb-input").fill("Ja")
    chat.page.locator(".bb-input").press("Enter")
    chat.wait_for_text(re.compile("Code|code"))
    expect(chat.page.locator(".bb-typing")).to_be_hidden(timeout=REPLY_TIMEOUT_MS)
    chat.say(code_for(stack, address))
    chat.wait_for_text("Mandatsreferenz")
    shown = "\n".join(chat.page.locator(".bb-msg").all_inner_texts())
    assert "DE89 **** **** **** **30 00" in shown
    assert not any(leak in shown for leak in LEAKS)
    with chat.page.expect_download() as download:
        chat.page.get_by_role("button", name="Verlauf speichern").click()
    transcript = download.value.path().read_text(encoding="utf-8")
    assert "Mandatsreferenz" in transcript and "DE89 **** **** **** **30 00" in transcript
    assert not any(leak in transcript for leak in LEAKS)
    path = chat.screenshot("payment")
    shutil.copy(path, ARTIFACTS / "webchat-phone-latest.png")
