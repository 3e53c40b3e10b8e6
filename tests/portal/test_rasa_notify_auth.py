"""The portal's one call to Rasa (a login ended) carries its JWT in the header, no token in the
URL, and reaches the conversation by its own id (Rasa does not unquote path parameters)."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import jwt

from portal.rasa_notify import RasaTarget, send

SECRET = "a-test-secret-of-at-least-32-bytes"


def test_the_notification_names_the_conversation_in_the_header_and_no_token_in_the_url() -> None:
    seen: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(200, json={}))
    row = SimpleNamespace(conversation_id="web:0123abcd", output_channel="socketio", session_id=7)
    with httpx.Client(transport=transport) as client:
        send(RasaTarget("http://rasa:5005", jwt_secret=SECRET), row, client)  # type: ignore[arg-type]
    (request,) = seen
    assert request.url.raw_path.decode().startswith("/conversations/web:0123abcd/trigger_intent")
    assert "token" not in request.url.params
    claims = jwt.decode(
        request.headers["Authorization"].removeprefix("Bearer "), SECRET, algorithms=["HS256"]
    )
    assert claims["user"] == {"username": "web:0123abcd", "role": "user"}
