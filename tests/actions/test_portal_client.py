from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import httpx
import pytest

from actions import portal_client as pc

T = TypeVar("T")
Handler = Callable[[httpx.Request], httpx.Response]

INVOICE = {
    "kassenzeichen": "4100.2026.0001",
    "amount": "48.00",
    "currency": "EUR",
    "purpose": "Hundesteuer 2026",
    "due_date": "2026-12-15",
    "payment_state": "open",
    "active_mandate_id": None,
}
PENDING = {
    "id": "m1",
    "status": "pending_signature",
    "iban_masked": "DE89 **** **** **** **30 00",
    "code_expires_at": "2026-11-28T06:00:00Z",
}
SIGNED = {
    "id": "m1",
    "status": "active",
    "mandate_reference": "410020260001-01",
    "creditor_id": "DE98ZZZ09999999999",
    "creditor_name": "Universitätsstadt Marburg",
    "signed_at": "2026-11-28T05:40:00Z",
    "document_url": "/api/v1/mandates/m1/document",
    "first_collection_date": "2026-12-15",
    "sequence_type": "RCUR",
}
REQUEST = pc.MandateRequest(
    kassenzeichen="4100.2026.0001",
    amount=Decimal("48"),
    account_holder="Erika Mustermann",
    iban="DE89370400440532013000",
    email="erika@example.de",
    consent_text_version="sepa-mandate-2026-1",
    channel="rest",
)


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def problem(status: int, **extra: Any) -> httpx.Response:
    body = {"type": "about:blank", "title": "x", "status": status, "detail": "d", **extra}
    return httpx.Response(status, json=body, headers={"Content-Type": "application/problem+json"})


class Recorder:
    """A mock transport answering from a list, recording each request."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def client(self) -> pc.PortalClient:
        return pc.PortalClient(
            "http://portal.test", "secret", transport=httpx.MockTransport(self), backoff=(0.0,)
        )


def test_lookup_sends_token_and_amount_text_and_parses_the_invoice() -> None:
    recorder = Recorder(httpx.Response(200, json=INVOICE))
    invoice = run(recorder.client().lookup_invoice("4100.2026.0001", Decimal("48")))
    assert invoice == pc.Invoice(
        "4100.2026.0001",
        Decimal("48.00"),
        "EUR",
        "Hundesteuer 2026",
        date(2026, 12, 15),
        "open",
        None,
    )
    sent = recorder.requests[0]
    assert sent.url.path == "/api/v1/invoices/lookup"
    assert sent.headers["Authorization"] == "Bearer secret"
    assert json.loads(sent.content) == {"kassenzeichen": "4100.2026.0001", "amount": "48.00"}


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, pc.PortalAuthError),
        (403, pc.PortalAuthError),
        (404, pc.NotFound),
        (409, pc.Conflict),
        (500, pc.PortalUnavailable),
        (502, pc.PortalUnavailable),
        (503, pc.PortalUnavailable),
    ],
)
def test_status_codes_map_to_typed_errors(status: int, error: type[pc.PortalError]) -> None:
    recorder = Recorder(problem(status))
    with pytest.raises(error) as caught:
        run(recorder.client().lookup_invoice("4100.2026.0001", Decimal("48")))
    assert caught.value.status == status
    assert isinstance(caught.value.__cause__, httpx.HTTPStatusError)


def test_an_unexpected_status_is_a_plain_portal_error() -> None:
    with pytest.raises(pc.PortalError) as caught:
        run(Recorder(problem(418)).client().get_mandate("m1"))
    assert type(caught.value) is pc.PortalError


def test_422_carries_field_errors_attempts_and_status() -> None:
    answer = problem(
        422, errors={"code": "wrong code"}, attempts_left=1, mandate_status="pending_signature"
    )
    with pytest.raises(pc.PortalRejected) as caught:
        run(Recorder(answer).client().sign_mandate("m1", "123456"))
    error = caught.value
    assert (error.errors, error.attempts_left, error.mandate_status) == (
        {"code": "wrong code"},
        1,
        "pending_signature",
    )
    assert error.code_expired is False
    assert error.detail == "d"


def test_422_for_an_expired_code() -> None:
    with pytest.raises(pc.PortalRejected) as caught:
        run(Recorder(problem(422, code_expired=True)).client().sign_mandate("m1", "123456"))
    assert caught.value.code_expired is True
    assert caught.value.attempts_left is None


def test_429_reads_retry_after() -> None:
    answer = problem(429)
    answer.headers["Retry-After"] = "900"
    with pytest.raises(pc.Throttled) as caught:
        run(Recorder(answer).client().lookup_invoice("4100.2026.0001", Decimal("48")))
    assert caught.value.retry_after == 900


def test_lookups_name_the_conversation_and_read_which_limit_refused() -> None:
    recorder = Recorder(problem(429, limit="client"))
    client = pc.ClientId("whatsapp:+49 176 ü/1", "whatsapp")
    with pytest.raises(pc.Throttled) as caught:
        run(recorder.client().lookup_invoice("4100.2026.0001", Decimal("48"), client))
    assert caught.value.limit == "client"
    sent = recorder.requests[0].headers
    # percent-encoded: any sender id fits a header, and the portal decodes it back
    assert sent["X-Client-Id"] == "whatsapp%3A%2B49%20176%20%C3%BC%2F1"
    assert sent["X-Client-Channel"] == "whatsapp"
    status = Recorder(problem(404))
    with pytest.raises(pc.NotFound):
        run(status.client().lookup_service_request("SR-2026-7KQM-4XDX", client, "35037"))
    assert len(status.requests) == 1  # a miss counts at the portal: never retried
    assert json.loads(status.requests[0].content) == {
        "reference": "SR-2026-7KQM-4XDX",
        "second_fact": "35037",
    }
    assert status.requests[0].headers["X-Client-Id"] == sent["X-Client-Id"]


def test_429_without_retry_after() -> None:
    with pytest.raises(pc.Throttled) as caught:
        run(Recorder(httpx.Response(429, text="slow down")).client().get_mandate("m1"))
    assert caught.value.retry_after is None


@pytest.mark.parametrize(
    "failure", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.ConnectTimeout("x")]
)
def test_network_failures_are_unavailable(failure: Exception) -> None:
    with pytest.raises(pc.PortalUnavailable) as caught:
        run(Recorder(failure).client().lookup_invoice("4100.2026.0001", Decimal("48")))
    assert caught.value.__cause__ is failure


def test_get_is_retried_twice_then_succeeds() -> None:
    recorder = Recorder(problem(503), httpx.ConnectError("x"), httpx.Response(200, json=PENDING))
    mandate = run(recorder.client().get_mandate("m1"))
    assert mandate.status == "pending_signature"
    assert len(recorder.requests) == 3


def test_get_gives_up_after_two_retries() -> None:
    recorder = Recorder(problem(503))
    with pytest.raises(pc.PortalUnavailable):
        run(recorder.client().mandates_of("4100.2026.0001"))
    assert len(recorder.requests) == 3


def test_a_client_error_on_get_is_not_retried() -> None:
    recorder = Recorder(problem(404))
    with pytest.raises(pc.NotFound):
        run(recorder.client().get_mandate("nope"))
    assert len(recorder.requests) == 1


def test_mandate_creation_is_retried_with_the_same_idempotency_key() -> None:
    recorder = Recorder(httpx.ReadTimeout("slow"), httpx.Response(201, json=PENDING))
    mandate = run(recorder.client().create_mandate(REQUEST, "conv-42-mandate"))
    assert mandate == pc.Mandate(
        "m1", "pending_signature", "DE89 **** **** **** **30 00", None, None, "2026-11-28T06:00:00Z"
    )
    keys = [request.headers["Idempotency-Key"] for request in recorder.requests]
    assert keys == ["conv-42-mandate", "conv-42-mandate"]
    assert recorder.requests[0].content == recorder.requests[1].content


@pytest.mark.parametrize(
    "call",
    [
        lambda client: client.lookup_invoice("4100.2026.0001", Decimal("48")),
        lambda client: client.sign_mandate("m1", "123456"),
        lambda client: client.revoke_mandate("m1"),
        lambda client: client.resend_code("m1"),
        lambda client: client.create_service_request("bulky_waste", {"street": "Markt"}),
        lambda client: client.book_appointment({"slot_id": "s1"}),
    ],
)
def test_posts_without_idempotency_key_are_never_retried(
    call: Callable[[pc.PortalClient], Coroutine[Any, Any, Any]],
) -> None:
    recorder = Recorder(httpx.ReadTimeout("slow"), httpx.Response(200, json={}))
    with pytest.raises(pc.PortalUnavailable):
        run(call(recorder.client()))
    assert len(recorder.requests) == 1


def test_mandate_body_and_optional_fields() -> None:
    body = REQUEST.body()
    assert body["amount"] == "48.00"
    assert "bic" not in body and "debtor_address" not in body
    address = pc.DebtorAddress("Bahnhofstrasse 1", "8001", "Zürich", "CH")
    swiss = replace(
        REQUEST, iban="CH9300762011623852957", bic="UBSWCHZH80A", debtor_address=address
    )
    assert swiss.body()["bic"] == "UBSWCHZH80A"
    assert swiss.body()["debtor_address"] == {
        "street": "Bahnhofstrasse 1",
        "postcode": "8001",
        "city": "Zürich",
        "country": "CH",
    }


def test_the_mandate_request_never_shows_the_iban_in_its_repr() -> None:
    assert "0532013000" not in repr(REQUEST)
    assert "0532013000" not in str(REQUEST)


def test_resend_code_posts_to_the_mandate() -> None:
    recorder = Recorder(httpx.Response(200, json=PENDING))
    assert run(recorder.client().resend_code("m1")).status == "pending_signature"
    assert recorder.requests[0].url.path == "/api/v1/mandates/m1/resend-code"
    assert recorder.requests[0].method == "POST"


def test_signing_parses_the_signed_mandate() -> None:
    signed = run(Recorder(httpx.Response(200, json=SIGNED)).client().sign_mandate("m1", "123456"))
    assert signed.mandate_reference == "410020260001-01"
    assert signed.first_collection_date == date(2026, 12, 15)


def test_a_malformed_answer_counts_as_unavailable() -> None:
    with pytest.raises(pc.PortalUnavailable):
        run(Recorder(httpx.Response(200, json={"id": "m1"})).client().sign_mandate("m1", "1"))
    with pytest.raises(pc.PortalUnavailable):
        run(Recorder(httpx.Response(200, text="<html>")).client().get_mandate("m1"))


def test_lists_service_requests_slots_and_document() -> None:
    recorder = Recorder(
        httpx.Response(200, json={"items": [PENDING]}),
        httpx.Response(201, json={"reference": "SR-2026-000123", "status": "received"}),
        httpx.Response(200, json={"reference": "SR-2026-000123", "status": "done", "history": []}),
        httpx.Response(
            200,
            json={"items": [{"id": "s1", "start": "2026-12-01T09:00:00Z", "end": None}]},
        ),
        httpx.Response(200, content=b"%PDF-1.7", headers={"Content-Type": "application/pdf"}),
    )
    client = recorder.client()
    assert run(client.mandates_of("4100.2026.0001"))[0].id == "m1"
    assert run(client.create_service_request("bulky_waste", {})).reference == "SR-2026-000123"
    assert run(client.get_service_request("SR-2026-000123")).status == "done"
    assert run(client.appointment_slots("ausweis"))[0].start.hour == 9
    assert run(client.mandate_document("m1")).startswith(b"%PDF")
    assert recorder.requests[0].url.params["kassenzeichen"] == "4100.2026.0001"
    assert json.loads(recorder.requests[1].content)["type"] == "bulky_waste"


def test_configured_timeouts() -> None:
    timeout = pc.PortalClient()._http.timeout
    assert (timeout.connect, timeout.read) == (2.0, 5.0)


def test_a_server_that_never_answers_times_out() -> None:
    async def scenario() -> None:
        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read(-1)

        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = pc.PortalClient(
            f"http://127.0.0.1:{port}", timeout=httpx.Timeout(0.2), backoff=(0.0,)
        )
        try:
            with pytest.raises(pc.PortalUnavailable) as caught:
                await asyncio.wait_for(client.get_mandate("m1"), timeout=5)
            assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
        finally:
            await client.aclose()
            server.close()

    run(scenario())


def test_a_closed_port_is_unavailable() -> None:
    async def scenario() -> None:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        client = pc.PortalClient(f"http://127.0.0.1:{port}", backoff=(0.0,))
        with pytest.raises(pc.PortalUnavailable):
            await client.lookup_invoice("4100.2026.0001", Decimal("48"))
        await client.aclose()

    run(scenario())


def test_the_shared_client_is_built_lazily_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PORTAL_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("PORTAL_API_TOKEN", "t0k")
    pc.set_portal_client(None)
    try:
        client = pc.get_portal_client()
        assert client is pc.get_portal_client()
        assert str(client._http.base_url) == "http://127.0.0.1:9"
        assert client._http.headers["Authorization"] == "Bearer t0k"
    finally:
        pc.set_portal_client(None)
