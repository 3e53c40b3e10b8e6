"""The REST channel cannot step into another channel's conversation (the trust boundary
"a conversation belongs to the channel that issued its sender id"), on the running system."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from rasa.core.channels.channel import register
from sanic import Sanic

from bot.channels.rest import ValidatingRestInput
from tests.support import localhttp
from tests.support.stack import Stack

WEBHOOK = "/webhooks/rest/webhook"


def routes_of_the_rest_channel() -> list[str]:
    """The routes Rasa's own channel registration makes of our REST channel."""
    app = Sanic(f"rest_{uuid.uuid4().hex[:8]}")
    register([ValidatingRestInput()], app, route="/webhooks/")

    @app.get("/other")
    async def other(_request: Any) -> None:  # sanic's router will not finalize empty
        return None

    app.router.finalize()  # type: ignore[no-untyped-call]
    return [route.path for route in app.router.routes if route.path.startswith("webhooks/rest")]


def post(stack: Stack, body: dict[str, Any]) -> httpx.Response:
    return localhttp.post(f"{stack.url('RASA_PORT')}{WEBHOOK}", json=body, timeout=60)


def user_events(stack: Stack, sender: str) -> list[dict[str, Any]]:
    tracker = localhttp.get(
        f"{stack.url('RASA_PORT')}/conversations/{sender}/tracker",
        params={"token": stack.env["RASA_AUTH_TOKEN"]},
        timeout=30,
    )
    tracker.raise_for_status()
    return [e for e in tracker.json()["events"] if e["event"] == "user"]


@pytest.mark.parametrize(
    "sender",
    ["telegram:{n}", "whatsapp:49151{n}", "WhatsApp:{n}", " telegram :{n}", "webchat:{n}"],
)
def test_a_sender_of_another_channel_is_refused_and_nothing_reaches_it(
    stack: Stack, sender: str
) -> None:
    victim = sender.format(n=uuid.uuid4().int % 10**9)
    refused = post(stack, {"sender": victim, "message": "Ich möchte meine Rechnung bezahlen"})
    assert refused.status_code == 403
    assert "anderen Kanal" in refused.json()["detail"]
    assert user_events(stack, victim.strip()) == []
    assert user_events(stack, victim) == []


def test_a_client_cannot_name_the_input_channel(stack: Stack) -> None:
    sender = f"rest-{uuid.uuid4().hex[:8]}"
    answered = post(stack, {"sender": sender, "message": "Hallo", "input_channel": "telegram"})
    assert answered.status_code == 200
    assert [e["input_channel"] for e in user_events(stack, sender)] == ["rest"]


def test_rest_channel_is_on_for_the_tests_stack(stack: Stack) -> None:
    assert stack.env["REST_CHANNEL"] == "on"


@pytest.mark.parametrize("value", [None, "off", "OFF", "no", ""])
def test_rest_channel_off_has_no_route(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("REST_CHANNEL", raising=False)
    else:
        monkeypatch.setenv("REST_CHANNEL", value)
    assert routes_of_the_rest_channel() == []


def test_rest_channel_on_has_its_route(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REST_CHANNEL", "on")
    assert "webhooks/rest/webhook" in routes_of_the_rest_channel()
