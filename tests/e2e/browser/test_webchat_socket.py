"""The web chat service relays socket.io to Rasa's channel: a raw Engine.IO/Socket.IO exchange
over the page's own origin, without a browser, shows the relay and session persistence work."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from websockets.client import WebSocketClientProtocol, connect

from tests.support.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TIMEOUT = 90.0
T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own: Playwright's sync API may own this thread's loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def next_event(socket: WebSocketClientProtocol) -> tuple[str, object]:
    """The next Socket.IO event; answers Engine.IO pings on the way."""
    while True:
        frame = str(await asyncio.wait_for(socket.recv(), TIMEOUT))
        if frame == "2":
            await socket.send("3")
        elif frame.startswith("42"):
            name, data = json.loads(frame[2:])
            return str(name), data


async def open_session(url: str, session: str) -> WebSocketClientProtocol:
    socket = await connect(f"{url}/socket.io/?EIO=4&transport=websocket")
    assert str(await socket.recv()).startswith("0{")  # Engine.IO open
    await socket.send("40")
    assert str(await socket.recv()).startswith("40")  # Socket.IO connect
    await socket.send(json.dumps(["session_request", {"session_id": session}]).join(["42", ""]))
    assert await next_event(socket) == ("session_confirm", session)
    return socket


async def reply_texts(socket: WebSocketClientProtocol, session: str, text: str, until: str) -> str:
    message = {"message": text, "session_id": session}
    await socket.send("42" + json.dumps(["user_uttered", message]))
    texts = []
    while until not in "\n".join(texts):
        name, data = await next_event(socket)
        if name == "bot_uttered" and isinstance(data, dict):
            texts.append(str(data.get("text", "")))
    return "\n".join(texts)


async def converse(url: str) -> None:
    session = uuid.uuid4().hex
    first = await open_session(url, session)
    assert "Wie kann ich Ihnen helfen?" in await reply_texts(
        first, session, "Hallo", "Wie kann ich Ihnen helfen?"
    )
    await first.close()
    # A new connection with the same session id continues the same conversation.
    second = await open_session(url, session)
    again = await reply_texts(second, session, "Danke", "Gern geschehen")
    assert "Ich bin der digitale Assistent" not in again  # no new session's welcome
    await second.close()


def test_socket_io_through_the_web_chat_origin_keeps_the_session(stack: Stack) -> None:
    url = stack.url("WEBCHAT_PORT").replace("http://", "ws://")
    run(converse(url))


def test_the_relay_refuses_long_polling(stack: Stack) -> None:
    async def attempt() -> int | None:
        url = stack.url("WEBCHAT_PORT").replace("http://", "ws://")
        async with connect(f"{url}/socket.io/?EIO=4&transport=polling") as socket:
            await socket.wait_closed()
            return socket.close_code

    assert run(attempt()) == 1008
