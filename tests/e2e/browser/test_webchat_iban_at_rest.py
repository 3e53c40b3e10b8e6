"""The web chat in Chromium keeps no clear IBAN at rest: a message typed offline waits in the
outbox in sessionStorage with its IBAN masked and still reaches the assistant in clear once the
connection is back; the kept transcript, the page and the download show IBANs typed in odd
notations only masked."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from rules import iban
from tests.e2e.browser.conftest import REPLY_TIMEOUT_MS, Chat
from tests.e2e.browser.test_webchat_browser import start
from tests.e2e.test_iban_at_rest import assert_no_clear_iban
from tests.support.idp import without_active_mandates
from tests.support.stack import Stack

KEY = "buergerbot-webchat"
OFFLINE_IBAN = "IBAN: de89.3704.0044.0532.0130.00"
# one line each (the input is a text field): odd spaces, dashes, lower case, two at once
TYPED = [
    "IBAN:  NL91\u00a0ABNA\u2009 0417   1643 00",
    "be68-5390-0754-7034 und ES91 2100 0418 4502 0005 1332",
]


def stored(chat: Chat) -> str:
    return str(chat.page.evaluate(f"sessionStorage.getItem('{KEY}')"))


def test_an_iban_typed_offline_is_kept_masked_and_sent_in_clear(
    phone_chat: Chat, stack: Stack
) -> None:
    chat = phone_chat
    without_active_mandates(stack, "4100.2026.0004")  # other tests sign it on this stack
    start(chat)
    for message in (
        "Ich möchte meine Rechnung per Lastschrift bezahlen",
        "Kassenzeichen 4100.2026.0004, 36,20 Euro",
        "Aylin Yılmaz",
    ):
        chat.say(message)
    chat.page.context.set_offline(True)
    expect(chat.page.locator(".bb-status")).to_contain_text("Keine Verbindung")
    chat.page.locator(".bb-input").fill(OFFLINE_IBAN)
    chat.page.locator(".bb-input").press("Enter")
    expect(chat.page.locator(".bb-queued")).to_have_count(1)
    at_rest = stored(chat)
    outbox = json.loads(at_rest)["outbox"]
    assert outbox and outbox[-1]["masked"] is True
    assert outbox[-1]["message"] == "IBAN: DE89 **** **** **** **30 00"
    assert_no_clear_iban(at_rest, "sessionStorage while offline")
    before = chat.bot_count()
    chat.page.context.set_offline(False)
    chat.wait_for_more_bot_messages(before)
    # the assistant got the clear IBAN: it accepted it and says it masked
    chat.wait_for_text("DE89 **** **** **** **30 00")
    expect(chat.page.locator(".bb-queued")).to_have_count(0)
    assert json.loads(stored(chat))["outbox"] == []

    for message in TYPED:
        chat.say(message)
    expect(chat.page.locator(".bb-typing")).to_be_hidden(timeout=REPLY_TIMEOUT_MS)
    assert_no_clear_iban(stored(chat), "sessionStorage")
    shown = "\n".join(chat.page.locator(".bb-msg").all_inner_texts())
    assert_no_clear_iban(shown, "the page")
    assert iban.mask("NL91ABNA0417164300") in shown
    with chat.page.expect_download() as download:
        chat.page.get_by_role("button", name="Verlauf speichern").click()
    transcript = download.value.path().read_text(encoding="utf-8")
    assert re.search(r"NL91 \*{4}", transcript)
    assert_no_clear_iban(transcript, "the transcript download")
    chat.say("abbrechen")
