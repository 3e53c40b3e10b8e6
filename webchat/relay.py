"""A WebSocket relay from the page's `/socket.io/` to Rasa's socket.io channel.

Why relay instead of letting the page talk to Rasa directly: the page (and a city site that
embeds the widget) then speaks to one host only, so its CSP keeps `connect-src 'self'`, and
Rasa's port, with its token-protected HTTP API, never has to face the internet. Only the
WebSocket transport is relayed (the widget never falls back to HTTP long-polling).

The relay is the web chat's public entry point, so it is also where the web chat is guarded:

- `Gate`: who may open a socket at all: an `Origin` on the allowlist (a browser always sends
  one; another site's page must not drive a citizen's chat), and at most so many sockets in
  all and per client address (each holds a socket to Rasa too).
- `PageFrames`: what the page may say. Only what the widget sends passes (Engine.IO ping and
  pong, Socket.IO connect and disconnect, and the events `session_request` and `user_uttered`);
  a session id must carry the server's signature (bot/webchat_session.py), so a client can
  neither choose a session nor claim a messenger's conversation; each message counts against
  its session and its client address (bot/channels/limits.py), and one over the limit gets a
  notice instead of reaching the assistant. Anything else closes the socket (1008).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Protocol

from websockets.client import WebSocketClientProtocol, connect
from websockets.exceptions import WebSocketException

from bot.channels.limits import RATE_LIMITED, ClientLimits
from bot.webchat_session import verify

# A citizen's message is at most a few thousand characters; socket.io adds a little framing.
MAX_FRAME = 16 * 1024
MAX_MESSAGE_CHARS = 5000
CONNECT_TIMEOUT = 5.0
ALLOWED_QUERY = ("EIO", "transport")
# Engine.IO ping/pong, Socket.IO connect (optionally with an auth object) and disconnect.
PLAIN_FRAMES = ("2", "3", "40", "41")
POLICY_VIOLATION = 1008


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


def event(name: str, data: object) -> str:
    """A Socket.IO event frame for the page.

    >>> event("bot_uttered", {"text": "Hallo"})
    '42["bot_uttered", {"text": "Hallo"}]'
    """
    return "42" + json.dumps([name, data], ensure_ascii=False)


@dataclass
class Gate:
    """Which WebSocket connections the relay takes: allowed origins and connection counts.

    >>> gate = Gate({"https://chat.example.de"}, max_total=2, max_per_address=1)
    >>> gate.refusal("https://evil.example", "192.0.2.1"), gate.refusal(None, "192.0.2.1")
    (403, 403)
    >>> gate.enter("192.0.2.1"), gate.enter("192.0.2.1"), gate.enter("192.0.2.2")
    (True, False, True)
    >>> gate.refusal("https://chat.example.de", "192.0.2.3")  # all in use
    429
    >>> gate.leave("192.0.2.1"); gate.refusal("https://chat.example.de", "192.0.2.3")
    """

    allowed_origins: set[str]
    max_total: int = 1000
    max_per_address: int = 20
    exempt: Callable[[str], bool] = lambda address: False
    open: Counter[str] = field(default_factory=Counter)

    def _full(self, address: str) -> bool:
        if sum(self.open.values()) >= self.max_total:
            return True
        return not self.exempt(address) and self.open[address] >= self.max_per_address

    def refusal(self, origin: str | None, address: str) -> int | None:
        """The HTTP status to refuse a new socket with, or None to take it."""
        if origin is None or origin.rstrip("/") not in self.allowed_origins:
            return 403
        return 429 if self._full(address) else None

    def enter(self, address: str) -> bool:
        if self._full(address):
            return False
        self.open[address] += 1
        return True

    def leave(self, address: str) -> None:
        self.open[address] -= 1
        if self.open[address] <= 0:
            del self.open[address]


@dataclass
class Verdict:
    forward: bool
    reply: str | None = None  # a frame for the page
    close: str | None = None  # why the socket is closed


@dataclass
class PageFrames:
    """Checks each frame from the page before it goes to Rasa."""

    secret: str
    limits: ClientLimits
    address: str

    def check(self, frame: str | bytes) -> Verdict:
        if isinstance(frame, bytes):
            return Verdict(False, close="binary frames are not accepted")
        if frame in PLAIN_FRAMES or (frame.startswith("40{") and len(frame) < 512):
            return Verdict(True)
        if not frame.startswith("42["):
            return Verdict(False, close="unexpected frame")
        try:
            parsed = json.loads(frame[2:])
        except ValueError:
            return Verdict(False, close="malformed event")
        if not (isinstance(parsed, list) and len(parsed) == 2 and isinstance(parsed[1], dict)):
            return Verdict(False, close="malformed event")
        name, data = parsed
        if name not in ("session_request", "user_uttered"):
            return Verdict(False, close="unknown event")
        session = verify(self.secret, data.get("session_id"))
        if session is None:
            refused = event("session_refused", {})
            return Verdict(False, reply=refused, close="session not issued by this server")
        if name == "session_request":
            return Verdict(True)
        message = data.get("message")
        if not isinstance(message, str) or len(message) > MAX_MESSAGE_CHARS:
            return Verdict(False, close="message must be text of at most 5000 characters")
        if not self.limits.allow(session, self.address):
            return Verdict(False, reply=event("bot_uttered", {"text": RATE_LIMITED}))
        return Verdict(True)


async def _page_to_rasa(page: Socket, rasa: WebSocketClientProtocol, frames: PageFrames) -> None:
    while True:
        frame = await page.recv()
        if frame is None:
            return
        verdict = frames.check(frame)
        if verdict.reply is not None:
            await page.send(verdict.reply)
        if verdict.close is not None:
            await page.close(code=POLICY_VIOLATION, reason=verdict.close)
            return
        if verdict.forward:
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


async def relay(page: Socket, url: str, frames: PageFrames) -> None:
    """Pipes frames both ways until one side closes; an unreachable Rasa closes the page's socket
    with 1011, and the widget's reconnection (with back-off) tries again."""
    try:
        async with connect(url, max_size=MAX_FRAME, open_timeout=CONNECT_TIMEOUT) as rasa:
            await _first_done(
                lambda: _page_to_rasa(page, rasa, frames), lambda: _rasa_to_page(rasa, page)
            )
    except (OSError, asyncio.TimeoutError, WebSocketException):
        with suppress(Exception):
            await page.close(code=1011, reason="assistant unavailable")
