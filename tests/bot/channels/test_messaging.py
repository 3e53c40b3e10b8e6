"""Delivery's retries and its log line, on a mock transport (one module's unit test)."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from bot.channels.messaging import Delivery


def delivery(answers: list[httpx.Response | Exception]) -> tuple[Delivery, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    transport = httpx.MockTransport(handler)
    made = Delivery(
        "test", backoff=0.0, client_factory=lambda: httpx.AsyncClient(transport=transport)
    )
    return made, seen


def test_a_refused_call_after_a_network_error_logs_the_attempts_made(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sender, seen = delivery([httpx.ConnectError("down"), httpx.Response(400)])
    with caplog.at_level(logging.ERROR):
        result = asyncio.run(sender.post("http://platform/send", {"text": "geheim"}, "to …42"))
    assert result is None
    assert len(seen) == 2  # 400 is not retried
    assert "HTTP 400, 2 attempts" in caplog.text
    assert "geheim" not in caplog.text


def test_5xx_is_retried_until_it_is_delivered() -> None:
    sender, seen = delivery([httpx.Response(503), httpx.Response(200, json={"ok": True})])
    assert asyncio.run(sender.post("http://platform/send", {"text": "x"}, "to …42")) == {"ok": True}
    assert len(seen) == 2
