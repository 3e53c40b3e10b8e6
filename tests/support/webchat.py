"""Talking to the web chat service as the widget does, without a browser: a session issued by
the service, then raw Engine.IO/Socket.IO frames over its WebSocket relay."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from websockets.client import WebSocketClientProtocol, connect

from tests.support import localhttp

TIMEOUT = 90.0
T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own: Playwright's sync API may own this thread's loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@dataclass(frozen=True)
class Session:
    session: str  # the sender id Rasa stores
    token: str  # what the widget keeps and sends


def issue(base: str, origin: str | None = None, forwarded_for: str | None = None) -> Session:
    headers = {"Origin": origin or base}
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    answer = localhttp.post(f"{base}/api/sessions", headers=headers, timeout=10)
    answer.raise_for_status()
    body = answer.json()
    return Session(body["session"], body["token"])


def event(name: str, data: object) -> str:
    return "42" + json.dumps([name, data])


async def next_event(socket: WebSocketClientProtocol) -> tuple[str, object]:
    """The next Socket.IO event; answers Engine.IO pings on the way."""
    while True:
        frame = str(await asyncio.wait_for(socket.recv(), TIMEOUT))
        if frame == "2":
            await socket.send("3")
        elif frame.startswith("42"):
            name, data = json.loads(frame[2:])
            return str(name), data


async def open_socket(
    base: str, origin: str | None = None, forwarded_for: str | None = None
) -> WebSocketClientProtocol:
    """A Socket.IO connection through the relay (Engine.IO open and Socket.IO connect done)."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    url = base.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    socket = await connect(url, origin=origin or base, extra_headers=headers)  # type: ignore[arg-type]
    assert str(await socket.recv()).startswith("0{")  # Engine.IO open
    await socket.send("40")
    assert str(await socket.recv()).startswith("40")  # Socket.IO connect
    return socket


async def open_session(
    base: str, session: Session, forwarded_for: str | None = None
) -> WebSocketClientProtocol:
    socket = await open_socket(base, forwarded_for=forwarded_for)
    await socket.send(event("session_request", {"session_id": session.token}))
    assert await next_event(socket) == ("session_confirm", session.session)
    return socket


async def reply_texts(
    socket: WebSocketClientProtocol, session: Session, text: str, until: str
) -> str:
    await socket.send(event("user_uttered", {"message": text, "session_id": session.token}))
    texts: list[str] = []
    while until not in "\n".join(texts):
        name, data = await next_event(socket)
        if name == "bot_uttered" and isinstance(data, dict):
            texts.append(str(data.get("text", "")))
    return "\n".join(texts)
