"""A WebSocket relay from the page's `/socket.io/` to Rasa's socket.io channel.

Why relay instead of letting the page talk to Rasa directly: the page (and a city site that
embeds the widget) then speaks to one host only, so its CSP keeps `connect-src 'self'`, and
Rasa's port, with its token-protected HTTP API, never has to face the internet. Only the
WebSocket transport is relayed (the widget never falls back to HTTP long-polling), so the
relay is a plain two-way pipe of frames: socket.io's protocol passes through untouched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Protocol

from websockets.client import WebSocketClientProtocol, connect
from websockets.exceptions import WebSocketException

# A citizen's message is at most a few thousand characters; socket.io adds a little framing.
MAX_FRAME = 16 * 1024
CONNECT_TIMEOUT = 5.0
ALLOWED_QUERY = ("EIO", "transport")


class Socket(Protocol):
    async def recv(self) -> str | bytes | None: ...

    async def send(self, data: str | bytes) -> None: ...

    async def close(self, code: int = 1000, reason: str = "") -> None: ...


def upstream_url(rasa_url: str, args: dict[str, list[str]]) -> str | None:
    """Rasa's socket.io URL for the page's query, or None when it asks for anything but WebSocket.

    >>> upstream_url("http://127.0.0.1:5005", {"EIO": ["4"], "transport": ["websocket"]})
    'ws://127.0.0.1:5005/socket.io/?EIO=4&transport=websocket'
    >>> upstream_url("http://127.0.0.1:5005", {"EIO": ["4"], "transport": ["polling"]}) is None
    True
    """
    eio = args.get("EIO", [""])[0]
    if args.get("transport", [""])[0] != "websocket" or not eio.isdigit():
        return None
    base = rasa_url.replace("https://", "wss://", 1).replace("http://", "ws://", 1).rstrip("/")
    return f"{base}/socket.io/?EIO={eio}&transport=websocket"


async def _page_to_rasa(page: Socket, rasa: WebSocketClientProtocol) -> None:
    while True:
        frame = await page.recv()
        if frame is None:
            return
        await rasa.send(frame)


async def _rasa_to_page(rasa: WebSocketClientProtocol, page: Socket) -> None:
    async for frame in rasa:
        await page.send(frame)


async def _first_done(*jobs: Callable[[], Awaitable[None]]) -> None:
    """Runs the jobs until one ends (either side closed), then cancels the rest."""
    tasks = [asyncio.ensure_future(job()) for job in jobs]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError, WebSocketException, OSError):
                await task


async def relay(page: Socket, url: str) -> None:
    """Pipes frames both ways until one side closes; an unreachable Rasa closes the page's socket
    with 1011, and the widget's reconnection (with back-off) tries again."""
    try:
        async with connect(url, max_size=MAX_FRAME, open_timeout=CONNECT_TIMEOUT) as rasa:
            await _first_done(lambda: _page_to_rasa(page, rasa), lambda: _rasa_to_page(rasa, page))
    except (OSError, asyncio.TimeoutError, WebSocketException):
        with suppress(Exception):
            await page.close(code=1011, reason="assistant unavailable")
