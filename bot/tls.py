"""One TLS context per process for httpx's clients (`verify=tls_context()`).

httpx's default loads certifi's root certificates anew for every client it builds (30 ms of CPU
each); the health checks poll, and the console and the web chat build a client per request.
Kept apart from `bot.web` so that the launcher's health checks do not import sanic.
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's own default context (certifi's roots, or SSL_CERT_FILE/SSL_CERT_DIR), built once."""
    return httpx.create_ssl_context()
