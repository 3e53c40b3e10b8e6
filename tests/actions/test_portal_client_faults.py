"""The portal client against a real portal process that freezes (SIGSTOP) or is gone.

A frozen portal is the honest model of "slow": the request reaches the kernel and waits. The
client must give up within its timeout with `PortalUnavailable`, and a creation it retries
after a timeout must leave exactly one mandate behind (the Idempotency-Key).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from actions import portal_client as pc

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "portal"))
from portal_harness import TOKEN, MailSink, PortalProcess, sqlite_portal_with_sink

from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

SHORT = httpx.Timeout(1.0, connect=2.0)
REQUEST = pc.MandateRequest(
    kassenzeichen="4100.2026.0005",
    amount=Decimal("850.00"),
    account_holder="Max Mustermann",
    iban="DE89370400440532013000",
    email="max.faults@example.org",
    consent_text_version="sepa-mandate-2026-1",
    channel="test",
)


class CountingTransport(httpx.AsyncHTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        return await super().handle_async_request(request)


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PortalProcess, MailSink]]:
    folder = tmp_path_factory.mktemp("faults-portal")
    with sqlite_portal_with_sink(folder) as running:
        yield running


def with_client(portal: PortalProcess, transport: Any = None) -> Any:
    def run(call: Any) -> Any:
        async def scenario() -> Any:
            client = pc.PortalClient(portal.url, TOKEN, transport=transport, timeout=SHORT)
            try:
                return await call(client)
            finally:
                await client.aclose()

        return asyncio.run(scenario())

    return run


def test_a_frozen_portal_is_unavailable_within_the_timeout(
    running: tuple[PortalProcess, MailSink],
) -> None:
    portal, _ = running
    os.kill(portal.process.pid, signal.SIGSTOP)
    try:
        with pytest.raises(pc.PortalUnavailable):
            with_client(portal)(lambda c: c.lookup_invoice("4100.2026.0001", Decimal("48.00")))
    finally:
        os.kill(portal.process.pid, signal.SIGCONT)
    invoice = with_client(portal)(lambda c: c.lookup_invoice("4100.2026.0001", Decimal("48.00")))
    assert invoice.purpose  # answers again once it runs


def test_a_creation_retried_after_a_timeout_makes_one_mandate(
    running: tuple[PortalProcess, MailSink],
) -> None:
    portal, _ = running
    transport = CountingTransport()
    pid = portal.process.pid
    os.kill(pid, signal.SIGSTOP)

    def wake_when_retried() -> None:
        """Wakes the portal once the first attempt timed out and the retry is on its way."""
        try:
            wait_until(lambda: transport.requests >= 2, 30, "the client's retry")
        finally:
            os.kill(pid, signal.SIGCONT)

    waker = threading.Thread(target=wake_when_retried, daemon=True)
    waker.start()
    try:
        try:
            created = with_client(portal, transport)(
                lambda c: c.create_mandate(REQUEST, "faults-retry-after-timeout")
            )
        except pc.PortalUnavailable:
            created = None  # all attempts timed out: still at most one mandate may exist
    finally:
        waker.join()
        os.kill(pid, signal.SIGCONT)
    assert transport.requests >= 2, "the creation was retried"
    items = settled_mandates(portal, "4100.2026.0005")
    assert len(items) <= 1, "a retry must never make a second mandate"
    if created is not None:
        assert [item["id"] for item in items] == [created.id]


def settled_mandates(portal: PortalProcess, kassenzeichen: str) -> list[dict[str, Any]]:
    """The mandates once requests still queued in the woken portal are done.

    The portal does not tell when it has worked off requests that waited while it was frozen,
    so "done" is two listings half a second apart that agree (within 10 s, or the test fails).
    """
    listings: list[list[dict[str, Any]]] = []

    def settled() -> tuple[list[dict[str, Any]]] | None:
        listed = portal.client().get("/api/v1/mandates", params={"kassenzeichen": kassenzeichen})
        listings.append(listed.json()["items"])
        stable = len(listings) >= 2 and listings[-1] == listings[-2]
        return (listings[-1],) if stable else None  # a tuple: an empty list is an answer too

    found = wait_until(settled, 10, "the woken portal's mandates to settle", interval=0.5)
    assert found is not None  # wait_until returns only what passed
    return found[0]
