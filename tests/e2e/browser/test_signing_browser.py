"""Issue 15 in Chromium against the whole running system (the session's `stack` with its
development IdP): a citizen pays in the web chat, chooses the login instead of the mailed code,
opens the link button (a new tab with the IdP's login page), logs in with the online ID
(level high) and comes back: the chat has said by itself that the mandate is signed, without
the citizen typing anything (the portal's trigger_intent reaches the citizen's socket through
Rasa's socket.io room and the web chat's relay). The portal's mandate is active at level high.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.browser.conftest import REPLY_TIMEOUT_MS, Chat
from tests.e2e.test_payment import IBAN
from tests.support.idp import revoke_active_mandates, tracker_events
from tests.support.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]

KASSENZEICHEN = "4100.2026.0006"
SIGN = "Mit BundID / Online-Ausweis unterschreiben"


@pytest.fixture
def portal(stack: Stack) -> Iterator[httpx.Client]:
    with stack.portal_client() as client:
        yield client


def test_signing_with_the_online_id_from_the_web_chat(
    phone_chat: Chat, stack: Stack, portal: httpx.Client
) -> None:
    revoke_active_mandates(portal, KASSENZEICHEN)
    chat = phone_chat
    chat.open()
    chat.wait_for_text("Wie kann ich Ihnen helfen?")
    for message in (
        "Ich möchte meine Rechnung per Lastschrift bezahlen",
        f"Kassenzeichen {KASSENZEICHEN}, 312,00 Euro",
        "Lena Becker",
        IBAN,
        f"lena.{uuid.uuid4().hex[:6]}@example.de",
    ):
        chat.say(message)
    chat.wait_for_text("Ich ermächtige")
    chat.say("Ja")
    chat.wait_for_text("6-stelligen Code")
    before = chat.bot_count()
    chat.page.get_by_role("button", name=SIGN).click()
    chat.wait_for_more_bot_messages(before)
    link = chat.page.get_by_role("link", name=SIGN)
    expect(link).to_have_count(1)
    assert link.get_attribute("target") == "_blank"
    assert (link.get_attribute("href") or "").startswith(f"{stack.env['PORTAL_URL']}/signing/")

    # the link opens the portal's page in a new tab, which goes on to the IdP's login page
    with chat.page.context.expect_page() as opened:
        link.click()
    idp = opened.value
    idp.wait_for_selector("#username", timeout=REPLY_TIMEOUT_MS)
    assert idp.url.startswith(stack.url("IDP_PORT"))
    idp.fill("#username", "lena")
    idp.fill("#password", "lena-ausweis")
    idp.click("button[value=login]")
    expect(idp.locator("h1")).to_have_text("Unterschrieben", timeout=REPLY_TIMEOUT_MS)
    idp.close()

    # back in the chat: the confirmation is there, and the citizen typed nothing
    chat.page.bring_to_front()
    chat.wait_for_text("Mit Ihrem Online-Ausweis unterschrieben (Vertrauensniveau hoch)")
    chat.wait_for_text("Mandatsreferenz")
    stored = chat.page.evaluate("sessionStorage.getItem('buergerbot-webchat')")
    sender = str(json.loads(stored)["session"])
    events = tracker_events(stack.url("RASA_PORT"), stack.env["RASA_JWT_SECRET"], sender)
    users = [e for e in events if e["event"] == "user"]
    assert users[-1]["text"] == "EXTERNAL: signing_finished"  # the portal's trigger_intent
    assert users[-2]["text"] == "/sign_with_bundid"

    listed = portal.get("/api/v1/mandates", params={"kassenzeichen": KASSENZEICHEN}).json()
    (active,) = [m for m in listed["items"] if m["status"] == "active"]
    mandate = portal.get(f"/api/v1/mandates/{active['id']}").json()
    assert mandate["evidence"]["signature"]["level_of_assurance"] == "high"
    shown = "\n".join(chat.page.locator(".bb-msg").all_inner_texts())
    assert mandate["mandate_reference"] in shown
    chat.screenshot("signed-with-online-id")
