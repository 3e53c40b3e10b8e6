"""bot.tls: one context per process, and it still refuses a certificate no one vouches for."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from bot.tls import tls_context
from portal.saml.keys import ensure_pair


class Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def self_signed_https(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTPS server on 127.0.0.1 with a certificate signed by itself (the portal's own
    maker of self-signed pairs); yields its URL and the certificate."""
    key_file, cert_file = ensure_pair(tmp_path / "key.pem", tmp_path / "cert.pem", "127.0.0.1")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/", cert_file
    finally:
        server.shutdown()
        server.server_close()


def test_one_context_per_process_that_verifies() -> None:
    context = tls_context()
    assert tls_context() is context
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname


def test_a_self_signed_server_is_refused(self_signed_https: tuple[str, Path]) -> None:
    url, cert_file = self_signed_https
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(url, verify=tls_context(), timeout=5)
    # the control: trusting that very certificate (the address is no name in it), the server
    # answers, so the refusal above is the missing trust and nothing else
    trusting = ssl.create_default_context(cafile=str(cert_file))
    trusting.check_hostname = False
    assert httpx.get(url, verify=trusting, timeout=5).status_code == 200
