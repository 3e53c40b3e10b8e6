"""The Rasa server's public side on the running system: per-client limits on the REST channel,
the body-size limit on every route, and the HTTP API reached with a JWT in the header instead
of a token in the URL (docs/security.md, "Limits and guessing" and "Channels and sender ids")."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid

import httpx
import jwt
import pytest

from bot.channels.limits import RATE_LIMITED
from bot.channels.messaging import SenderRateLimit
from bot.health import services
from bot.rasa_auth import bearer
from console.handoff import RasaClient
from tests.support import localhttp
from tests.support.stack import Stack
from tests.support.webchat import run
from webchat.history import bot_messages

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WEBHOOK = "/webhooks/rest/webhook"
TWO_MB = b"x" * (2 * 1024 * 1024)


def rest(stack: Stack, body: object, client: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": client} if client else {}
    return localhttp.post(
        f"{stack.url('RASA_PORT')}{WEBHOOK}", json=body, headers=headers, timeout=60
    )


def test_a_flood_from_one_address_is_refused_before_the_assistant(stack: Stack) -> None:
    # The stack trusts loopback as a proxy; 6 requests at once per client address, then 1 a
    # minute. Broken bodies count too, so the flood costs the assistant nothing here.
    client = f"203.0.113.{secrets.randbelow(200) + 20}"
    statuses = [rest(stack, [], client).status_code for _ in range(6)]
    assert statuses == [400] * 6
    sender = f"flood-{uuid.uuid4().hex[:8]}"
    refused = rest(stack, {"sender": sender, "message": "Hallo"}, client)
    assert refused.status_code == 429
    assert refused.json()["detail"] == RATE_LIMITED  # German and English
    assert "Sie schreiben gerade sehr schnell" in RATE_LIMITED and "You are writing" in RATE_LIMITED
    assert stack.user_texts(sender) == []
    # Another client at the same moment is served.
    other = rest(stack, {"sender": sender, "message": "Hallo"}, "198.51.100.3")
    assert other.status_code == 200
    assert stack.user_texts(sender) == ["Hallo"]


def test_a_flood_from_one_sender_is_refused_beyond_its_burst(stack: Stack) -> None:
    # Fifty messages a second from one sender: the burst reaches the assistant, the rest get
    # 429 with the notice, and exactly the answered ones are in the conversation.
    who = f"burst-{uuid.uuid4().hex[:8]}"
    url = f"{stack.url('RASA_PORT')}{WEBHOOK}"

    async def burst() -> list[httpx.Response]:
        async with localhttp.AsyncClient(timeout=120) as client:
            tasks = []
            for number in range(50):
                message = {"sender": who, "message": f"hallo {number}"}
                tasks.append(asyncio.create_task(client.post(url, json=message)))
                await asyncio.sleep(0.02)
            return list(await asyncio.gather(*tasks))

    responses = run(burst())
    answered = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code == 429]
    assert len(answered) + len(refused) == 50
    burst_size = SenderRateLimit().burst
    assert burst_size <= len(answered) < 50
    assert all(r.json()["detail"] == RATE_LIMITED for r in refused)
    assert len(stack.user_texts(who)) == len(answered)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", WEBHOOK),
        ("POST", "/webhooks/telegram/webhook"),
        ("POST", "/webhooks/whatsapp/webhook"),
        ("POST", "/conversations/someone/messages"),
        ("POST", "/model/parse"),
        ("PUT", "/model"),
        ("POST", "/conversations/someone/tracker/events"),
    ],
)
def test_two_megabytes_to_any_route_of_rasa_are_refused(
    stack: Stack, method: str, path: str
) -> None:
    answer = localhttp.request(
        method,
        f"{stack.url('RASA_PORT')}{path}",
        content=TWO_MB,
        headers={"Content-Type": "application/json", **bearer(stack.env["RASA_JWT_SECRET"])},
        timeout=60,
    )
    assert answer.status_code == 413


def test_the_api_takes_a_jwt_in_the_header_and_no_token_in_the_url(stack: Stack) -> None:
    who = f"jwt-{uuid.uuid4().hex[:8]}"
    stack.say(who, "Hallo")
    url = f"{stack.url('RASA_PORT')}/conversations/{who}/tracker"
    secret = stack.env["RASA_JWT_SECRET"]
    assert localhttp.get(url, headers=bearer(secret), timeout=10).status_code == 200
    # Scoped to one conversation: that one only.
    assert (
        localhttp.get(url, headers=bearer(secret, conversation=who), timeout=10).status_code == 200
    )
    scoped = bearer(secret, conversation="someone-else")
    assert localhttp.get(url, headers=scoped, timeout=10).status_code == 403
    # Wrongly signed, expired, or none at all.
    wrong = bearer(secrets.token_urlsafe(32))
    expired = bearer(secret, now=time.time() - 3600)
    unsigned = jwt.encode({"user": {"username": "x", "role": "admin"}}, "", algorithm="none")
    for headers in (wrong, expired, {"Authorization": f"Bearer {unsigned}"}, {}):
        assert localhttp.get(url, headers=headers, timeout=10).status_code == 401


class Recording(httpx.AsyncBaseTransport):
    """Passes every request on to the running Rasa and keeps what was sent."""

    def __init__(self) -> None:
        self.sent: list[httpx.Request] = []
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return await self.inner.handle_async_request(request)


def test_our_callers_send_no_token_in_any_url(stack: Stack) -> None:
    who = f"handoff-{uuid.uuid4().hex[:8]}"
    stack.say(who, "Hallo")
    rasa, secret = stack.url("RASA_PORT"), stack.env["RASA_JWT_SECRET"]
    recording = Recording()

    async def calls() -> list[dict[str, object]]:
        # The staff console's handoff, and the web chat's missed replies.
        client = RasaClient(rasa, secret, recording)
        await client.pause(who)
        await client.resume(who)
        return await bot_messages(rasa, secret, who, recording)

    assert run(calls())  # the bot's messages: the calls worked without a URL token
    events = [e["event"] for e in stack.tracker(who)["events"]]
    assert "pause" in events and "resume" in events
    assert recording.sent
    for request in recording.sent:
        assert "token" not in request.url.params and "token=" not in str(request.url)
        assert stack.env["RASA_AUTH_TOKEN"] not in str(request.url)
        assert request.headers["Authorization"].startswith("Bearer ")
    # The launcher's and the tests' health check of Rasa as well.
    rasa_check = next(s for s in services(stack.settings) if s.name == "rasa")
    assert rasa_check.check()  # /status answers the JWT of bot/health.py (no URL token there)
