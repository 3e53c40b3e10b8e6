"""httpx for the tests, with one TLS context per process.

httpx builds a new SSL context, loading certifi's root certificates, for every client: 30 ms of
CPU each. Its module functions (`httpx.get`, `httpx.post`) build a client per call, and the tests
poll and call servers many thousands of times: measured with py-spy on 2026-12-02, building
those contexts was two thirds of the test workers' own CPU. The servers under test speak plain
HTTP on 127.0.0.1, so the context is only there for an https URL, and one is enough.

Use these instead of httpx's functions and clients; everything else (`httpx.Response`, the
errors, `httpx.MockTransport`) comes from httpx itself.
"""

from __future__ import annotations

from typing import Any

import httpx

TLS = httpx.create_ssl_context()


def Client(**options: Any) -> httpx.Client:
    options.setdefault("verify", TLS)
    return httpx.Client(**options)


def AsyncClient(**options: Any) -> httpx.AsyncClient:
    options.setdefault("verify", TLS)
    return httpx.AsyncClient(**options)


def request(method: str, url: str, **options: Any) -> httpx.Response:
    options.setdefault("verify", TLS)
    return httpx.request(method, url, **options)


def get(url: str, **options: Any) -> httpx.Response:
    return request("GET", url, **options)


def post(url: str, **options: Any) -> httpx.Response:
    return request("POST", url, **options)
