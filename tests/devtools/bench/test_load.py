"""The load generator against the session's running system (no baseline, no training)."""

from __future__ import annotations

import asyncio

import pytest

from devtools.bench.load import run_load
from devtools.bench.scenarios import Invoice, citizen_conversations, open_invoices
from devtools.bench.stats import summarize
from devtools.bench.systems import MemorySampler
from tests.support import localhttp
from tests.support.stack import Stack
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def without_active_mandate(stack: Stack, invoices: list[Invoice]) -> list[Invoice]:
    """The invoices nobody has signed a mandate for yet on this stack.

    The session's stack is shared: other tests (channels, e2e, browser) sign mandates for demo
    invoices, and an invoice with an active mandate takes the payment conversation elsewhere.
    """
    free = []
    for invoice in invoices:
        answer = localhttp.get(
            f"{stack.env['PORTAL_URL']}/api/v1/mandates",
            params={"kassenzeichen": invoice.kassenzeichen},
            headers={"Authorization": f"Bearer {stack.env['PORTAL_API_TOKEN']}"},
            timeout=10.0,
        )
        answer.raise_for_status()
        data = answer.json()
        mandates = data.get("items", []) if isinstance(data, dict) else data
        if not any(mandate.get("status") == "active" for mandate in mandates):
            free.append(invoice)
    assert len(free) >= 2, "every demo invoice already has an active mandate on this stack"
    return free


def test_five_citizens_cover_every_kind_without_errors(stack: Stack) -> None:
    invoices = without_active_mandate(stack, open_invoices())
    mix = citizen_conversations(0, invoices)
    expected_kinds = {turn.kind for conversation in mix for turn in conversation.turns}
    # Five citizens start at once, each with a different conversation of the mix (citizen n
    # starts at the n-th), so every kind of turn is exercised.
    with MemorySampler(stack.process.pid) as memory:
        load = asyncio.run(
            run_load(
                stack.url("RASA_PORT"),
                lambda n: citizen_conversations(n, invoices),
                citizens=5,
                conversations=5,
                timeout=60.0,
                sender_prefix="test-bench",
                label="test",
                progress=False,
            )
        )
        # at least one sample, however fast the load was
        wait_until(lambda: memory.samples > 0, 10, "a memory sample", interval=0.1)
    summary = summarize(load.results, 5, load.conversations, load.seconds)
    assert summary.errors == 0, summary.error_samples
    assert load.conversations == 5
    assert set(summary.kinds) == expected_kinds
    assert summary.turns == sum(len(c.turns) for c in mix)
    assert memory.peak_bytes > 50_000_000  # the Rasa server process was found and measured
