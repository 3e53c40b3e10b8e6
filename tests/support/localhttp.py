"""httpx for the tests, with the process's one TLS context (`bot.tls`).

httpx builds a new SSL context, loading certifi's root certificates, for every client: 30 ms of
CPU each. Its module functions (`httpx.get`, `httpx.post`) build a client per call, and the tests
poll and call servers many thousands of times: on 2026-12-02, building those contexts took about
250 of the two test workers' roughly 360 CPU-seconds (py-spy's leaf frames in one run, a /proc
sampler in another). The servers under test speak plain HTTP on 127.0.0.1.

Use these instead of httpx's functions and clients; everything else (`httpx.Response`, the
errors, `httpx.MockTransport`) comes from httpx itself.
"""

from __future__ import annotations

from typing import Any

import httpx

from bot.tls import tls_context


def Client(**options: Any) -> httpx.Client:
    options.setdefault("verify", tls_context())
    return httpx.Client(**options)


def AsyncClient(**options: Any) -> httpx.AsyncClient:
    options.setdefault("verify", tls_context())
    return httpx.AsyncClient(**options)


def request(method: str, url: str, **options: Any) -> httpx.Response:
    options.setdefault("verify", tls_context())
    return httpx.request(method, url, **options)


def get(url: str, **options: Any) -> httpx.Response:
    return request("GET", url, **options)


def post(url: str, **options: Any) -> httpx.Response:
    return request("POST", url, **options)
