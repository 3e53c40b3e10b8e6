"""Issue 15 in the messenger channels, on the whole system (the session's `stack` with its
development IdP and the fake Telegram and WhatsApp platforms): the login link arrives as the
channel's link button (Telegram: an inline keyboard `url` button; WhatsApp: a `cta_url`
message), the citizen follows it through the IdP, and the confirmation arrives on the platform
by itself: the portal triggers `signing_finished` with the conversation's channel as
`output_channel`, and Rasa answers through that channel's output, not only into the tracker.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.bot.channels.test_telegram import IBAN, Chat
from tests.bot.channels.test_whatsapp import Citizen, interactive, joined
from tests.conftest import Platforms
from tests.support.idp import revoke_active_mandates, sign_in
from tests.support.platforms import Call
from tests.support.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SIGNED = "Mit Ihrem Online-Ausweis unterschrieben (Vertrauensniveau hoch)"


@pytest.fixture
def portal(stack: Stack) -> Iterator[httpx.Client]:
    with stack.portal_client() as client:
        yield client


def active_references(portal: httpx.Client, kassenzeichen: str) -> set[str]:
    listed = portal.get("/api/v1/mandates", params={"kassenzeichen": kassenzeichen})
    listed.raise_for_status()
    return {str(m["mandate_reference"]) for m in listed.json()["items"] if m["status"] == "active"}


def test_telegram_link_button_then_the_confirmation_by_itself(
    stack: Stack, platforms: Platforms, portal: httpx.Client
) -> None:
    revoke_active_mandates(portal, "4100.2026.0002")
    chat = Chat(stack, platforms.telegram)
    chat.text("Ich möchte meine Rechnung per Lastschrift bezahlen")
    chat.text("Kassenzeichen 4100.2026.0002, 60,00 Euro")
    chat.text("Max Mustermann")
    chat.text(IBAN)
    assert "Ich ermächtige" in chat.text(f"max.{uuid.uuid4().hex[:6]}@example.de")
    assert "Code" in chat.press("Ja, ich erteile das Mandat")
    link_text = chat.press("Mit BundID / Online-Ausweis unterschreiben")
    assert "Online-Ausweis" in link_text
    markup = chat.replies()[-1].body["reply_markup"]
    (button,) = [b for row in markup["inline_keyboard"] for b in row]
    assert "callback_data" not in button  # a link opens the page; it never answers the bot
    assert button["url"].startswith(stack.env["PORTAL_URL"].rstrip("/") + "/signing/")

    before = len(chat.replies())
    assert sign_in(button["url"], "max").status_code == 200

    def confirmed(calls: list[Call]) -> bool:
        texts = [str(c.body.get("text")) for c in chat.replies()[before:]]
        return any(SIGNED in text for text in texts) and any("Mandatsreferenz" in t for t in texts)

    chat.fake.wait_for(confirmed, timeout=90)
    said = "\n".join(str(c.body["text"]) for c in chat.replies()[before:])
    assert any(reference in said for reference in active_references(portal, "4100.2026.0002"))
    # the citizen wrote nothing after the button: the login's end came from the portal
    assert chat.user_texts()[-2:] == ["/sign_with_bundid", "EXTERNAL: signing_finished"]


def test_whatsapp_cta_url_then_the_confirmation_by_itself(
    stack: Stack, platforms: Platforms, portal: httpx.Client
) -> None:
    revoke_active_mandates(portal, "4100.2026.0001")
    citizen = Citizen(stack, platforms.whatsapp)
    citizen.say("Ich möchte meine Rechnung per Lastschrift bezahlen")
    citizen.say("Kassenzeichen 4100.2026.0001, 48,00 Euro")
    citizen.say("Erika Mustermann")
    citizen.say(IBAN)
    consent = citizen.say(f"erika.{secrets.token_hex(3)}@example.de")
    choice = citizen.tap(interactive(consent), "Ja")
    assert "Code" in joined(choice)
    sent = citizen.tap(interactive(choice), "Mit BundID")
    links = [r for r in sent if r.get("interactive", {}).get("type") == "cta_url"]
    assert len(links) == 1, sent
    action: dict[str, Any] = links[0]["interactive"]["action"]
    url = str(action["parameters"]["url"])
    assert url.startswith(stack.env["PORTAL_URL"].rstrip("/") + "/signing/")
    assert len(action["parameters"]["display_text"]) <= 20

    before = len(citizen.calls())
    assert sign_in(url, "erika").status_code == 200

    def confirmed(calls: list[Call]) -> bool:
        # the confirmation comes as several messages, each its own call to the Graph API
        said = joined([c.body for c in citizen.calls()[before:]])
        return SIGNED in said and "Mandatsreferenz" in said

    citizen.fake.wait_for(confirmed, timeout=90)
    said = joined([c.body for c in citizen.calls()[before:]])
    assert "Mandatsreferenz" in said
    assert any(reference in said for reference in active_references(portal, "4100.2026.0001"))
    assert citizen.user_texts()[-1] != url  # the link never came back as the citizen's message
