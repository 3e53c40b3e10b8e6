"""Fakes of the messenger platforms' APIs (Telegram Bot API, WhatsApp Graph API).

Each fake is a real HTTP server on 127.0.0.1 in a thread of the test process. The Rasa server
under test sends its replies there (`TELEGRAM_API_URL`, `WHATSAPP_API_URL`), the fake records
every call, and a test can make the next calls fail (429, 5xx) to play an outage.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[str, dict[str, Any]], dict[str, Any]]


@dataclass
class Call:
    """One request the fake received."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: int  # what the fake answered


@dataclass
class FakePlatform:
    """A recording API server. `responder(path, body)` builds a successful answer."""

    responder: Responder
    calls: list[Call] = field(default_factory=list)
    _failures: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def fail_next(self, count: int, status: int = 503) -> None:
        """The next `count` requests get `status` (an outage), then it answers again."""
        with self._lock:
            self._failures.extend([status] * count)

    def answered(self, path_part: str, status: int = 200) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if path_part in c.path and c.status == status]

    def wait_for(
        self, predicate: Callable[[list[Call]], bool], timeout: float = 60.0
    ) -> list[Call]:
        """Waits until `predicate(calls)` holds; returns the calls, or fails with what came."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                calls = list(self.calls)
            if predicate(calls):
                return calls
            time.sleep(0.05)
        raise AssertionError(f"the fake platform did not see the expected calls: {calls!r}")

    def _record(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> Call:
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"_raw": raw.decode("utf-8", "replace")}
        with self._lock:
            status = self._failures.pop(0) if self._failures else 200
            call = Call(method, path, headers, body if isinstance(body, dict) else {}, status)
            self.calls.append(call)
        return call


def _handler(fake: FakePlatform) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            call = fake._record(self.command, self.path, dict(self.headers.items()), raw)
            if call.status == 200:
                payload = fake.responder(call.path, call.body)
            elif call.status == 429:
                payload = {"ok": False, "error_code": 429, "parameters": {"retry_after": 1}}
            else:
                payload = {"ok": False, "error_code": call.status, "description": "outage"}
            data = json.dumps(payload).encode()
            self.send_response(call.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_POST = _answer  # the names http.server looks up
        do_GET = _answer

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: pytest shows the calls when a test fails."""

    return Handler


@contextmanager
def running_fake(responder: Responder) -> Iterator[FakePlatform]:
    fake = FakePlatform(responder)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def telegram_answer(path: str, body: dict[str, Any]) -> dict[str, Any]:
    """What the Bot API answers to a successful call (sendMessage and the rest)."""
    if path.endswith("/sendMessage"):
        return {
            "ok": True,
            "result": {"message_id": int(time.time() * 1000) % 1_000_000, "chat": {"id": 0}},
        }
    return {"ok": True, "result": True}


def whatsapp_answer(path: str, body: dict[str, Any]) -> dict[str, Any]:
    """What the Graph API answers to a successful `/{phone-number-id}/messages` call."""
    return {
        "messaging_product": "whatsapp",
        "contacts": [{"input": body.get("to", ""), "wa_id": body.get("to", "")}],
        "messages": [{"id": f"wamid.fake{int(time.time() * 1000)}"}],
    }
