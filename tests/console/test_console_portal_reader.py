"""The dashboard's portal reader: every way the portal can fail to answer becomes "not
available" (the page shows a note), never an exception; an answer is masked and explained."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx
import pytest

from console.treasury import FollowUp, PortalReader

MAIL = {
    "id": 7,
    "kind": "return_notice",
    "to": "<b>x</b>@example.de",
    "subject": "Lastschrift zurückgegeben",
    "attempts": 8,
    "last_error": "SMTP 127.0.0.1:2525 failed: SMTPServerDisconnected",
    "created_at": "2026-12-01T10:00:00Z",
}
RETURN = {
    "kassenzeichen": "4100.2026.0004",
    "due_date": "2026-12-15",
    "amount": "36.20",
    "return_reason": "MD06",
    "returned_at": "2026-12-01T11:00:00Z",
}


def read(handler: httpx.MockTransport) -> FollowUp:
    return asyncio.run(PortalReader("http://portal", "secret", transport=handler).follow_up())


def test_answers_are_masked_and_reasons_explained() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        items = [MAIL] if request.url.path == "/api/v1/outbox" else [RETURN]
        return httpx.Response(200, json={"items": items})

    follow_up = read(httpx.MockTransport(answer))
    assert follow_up.failed_mails is not None and follow_up.returns is not None
    (mail,) = follow_up.failed_mails
    assert (mail.recipient, mail.error, mail.attempts) == (
        "<…@example.de",
        "SMTPServerDisconnected",
        8,
    )
    assert mail.time == "2026-12-01 10:00 UTC"
    (returned,) = follow_up.returns
    assert returned.reason == "MD06 Erstattung durch Zahler"
    assert {r.headers["authorization"] for r in seen} == {"Bearer secret"}
    assert {r.url.params.get("status") for r in seen} == {"failed", None}


@pytest.mark.parametrize(
    "respond",
    [
        lambda request: httpx.Response(401, json={"detail": "no"}),
        lambda request: httpx.Response(200, text="<html>proxy error</html>"),
        lambda request: httpx.Response(200, content=json.dumps([1, 2])),
        lambda request: httpx.Response(200, json={"items": [None]}),
    ],
    ids=["refused", "not-json", "wrong-shape", "wrong-item"],
)
def test_a_wrong_answer_is_not_available(
    respond: Callable[[httpx.Request], httpx.Response],
) -> None:
    follow_up = read(httpx.MockTransport(respond))
    assert follow_up.failed_mails is None and follow_up.returns is None


def test_an_unreachable_portal_is_not_available() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    follow_up = read(httpx.MockTransport(refuse))
    assert follow_up.failed_mails is None and follow_up.returns is None
