"""Staff over plain HTTP against a running console: sign in, read pages, post forms with the
session's CSRF token, and send requests with a path spelled exactly as given (no client-side
normalisation of dot segments, slashes or escapes)."""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from tests.support import localhttp

TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def raw_request(
    base_url: str, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> Answer:
    """One HTTP/1.1 request whose request line carries `path` byte for byte."""
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    chunks = []
    with socket.create_connection((host, port), timeout=10) as conn:
        try:
            conn.sendall(request)
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        except (ConnectionResetError, BrokenPipeError):
            if not chunks:
                return Answer(0, {}, b"")  # dropped by the server's parser or size limit
    head, _, rest = b"".join(chunks).partition(b"\r\n\r\n")
    if not head:
        return Answer(0, {}, b"")  # the server closed without an answer: nothing was handled
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    found = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        found[name.strip().lower()] = value.strip()
    return Answer(int(status_line.split()[1]), found, rest)


@dataclass
class Staff:
    """One signed-in staff member (the Secure cookie is carried by hand over http)."""

    url: str
    username: str
    session: str = ""
    csrf: str = ""
    client: httpx.Client = field(default_factory=lambda: localhttp.Client(timeout=15))

    @classmethod
    def sign_in(cls, url: str, username: str, password: str) -> Staff:
        staff = cls(url, username)
        answer = staff.client.post(
            f"{url}/login", data={"username": username, "password": password}
        )
        assert answer.status_code == 302, (username, answer.status_code, answer.text[:300])
        found = re.search(r"console_session=([^;]+)", answer.headers["set-cookie"])
        assert found
        staff.session = found.group(1)
        page = staff.get("/conversations")
        token = TOKEN.search(page.text)
        assert token, page.text[:500]
        staff.csrf = token.group(1)
        return staff

    @property
    def cookie(self) -> dict[str, str]:
        return {"Cookie": f"console_session={self.session}"}

    def get(self, path: str, **params: str) -> httpx.Response:
        return self.client.get(self.url + path, params=params or None, headers=self.cookie)

    def post(self, path: str, **data: str) -> httpx.Response:
        return self.client.post(
            self.url + path, data={"csrf": self.csrf, **data}, headers=self.cookie
        )

    def raw(self, method: str, path: str, form: str = "") -> Answer:
        headers = dict(self.cookie)
        body = b""
        if method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = (f"csrf={self.csrf}&" + form).encode()
        return raw_request(self.url, method, path, headers, body)
