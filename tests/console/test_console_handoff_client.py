"""The handoff client speaks Rasa's HTTP API: checked on a mock transport (the live path is
in tests/e2e/console/test_console_handoff.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import jwt
import pytest

from console.handoff import HandoffError, RasaClient

SECRET = "a-test-secret-of-at-least-32-bytes"


def run(coroutine: Coroutine[Any, Any, None]) -> None:
    """In a thread of its own: a browser test of the same session may hold this thread's loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def recording() -> tuple[list[httpx.Request], httpx.MockTransport]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    return seen, httpx.MockTransport(handler)


def test_take_say_and_hand_back() -> None:
    seen, transport = recording()
    client = RasaClient("http://rasa:5005/", SECRET, transport)
    run(client.pause("web/1 x"))
    run(client.say("web/1 x", "  Guten Tag, hier Frau Meier.  ", "meier"))
    run(client.resume("web/1 x"))
    paths = [r.url.raw_path.decode() for r in seen]
    assert all(p.startswith("/conversations/web%2F1%20x/") for p in paths)
    assert [json.loads(r.content) for r in seen[:1]] == [[{"event": "pause"}]]
    said = seen[1]
    assert said.url.params["output_channel"] == "latest"
    assert said.url.params["execute_side_effects"] == "true"
    body = json.loads(said.content)[0]
    assert body["event"] == "bot" and body["text"] == "Guten Tag, hier Frau Meier."
    assert json.loads(seen[2].content) == [{"event": "resume"}]
    assert seen[3].url.path.endswith("/execute")
    assert json.loads(seen[3].content) == {"name": "utter_what_else"}
    # The secret signs a JWT in the header; no token travels in the URL (it would be logged).
    assert all("token" not in r.url.params for r in seen)
    claims = [
        jwt.decode(r.headers["Authorization"].removeprefix("Bearer "), SECRET, algorithms=["HS256"])
        for r in seen
    ]
    assert {c["user"]["role"] for c in claims} == {"admin"}


def test_errors_become_handoff_errors() -> None:
    client = RasaClient(
        "http://rasa:5005", "bad", httpx.MockTransport(lambda r: httpx.Response(401))
    )
    with pytest.raises(HandoffError):
        run(client.pause("x"))
    with pytest.raises(HandoffError):
        run(client.say("x", "   ", "meier"))


def test_a_channel_prefix_reaches_rasa_as_it_is() -> None:
    # Rasa does not unquote path parameters: `web%3A…` would be another conversation.
    seen, transport = recording()
    run(RasaClient("http://rasa:5005", SECRET, transport).pause("web:0123abcd"))
    assert seen[0].url.raw_path.decode() == "/conversations/web:0123abcd/tracker/events"
