"""After a timeout or a conflict on signing, the citizen hears what the portal's state says.

A signing request can time out after the portal activated the mandate; the retry then meets a
409 (not pending any more). Before the fix the chat said "nothing will be debited" for an
active mandate. Here the portal is a mock transport (unit test of actions.payment.mandate).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.payment import common, mandate
from actions.portal_client import PortalClient, set_portal_client

MANDATE_ID = "a" * 32


def tracker() -> Tracker:
    slots = {"mandate_id": common.mandate_slot(MANDATE_ID), "language": "de", "email": "e@x.org"}
    return Tracker("s", slots, {}, [], False, None, {}, "action_listen")


@pytest.fixture
def portal_answers() -> Iterator[Callable[[dict[str, Any], int], None]]:
    def install(state: dict[str, Any], sign_status: int) -> None:
        def handle(request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/sign"):
                if sign_status == 0:
                    raise httpx.ReadTimeout("slow", request=request)
                return httpx.Response(
                    sign_status,
                    json={"type": "t", "title": "x", "status": sign_status, "detail": "d"},
                    headers={"content-type": "application/problem+json"},
                )
            return httpx.Response(200, json={"id": MANDATE_ID, **state})

        client = PortalClient("http://portal.test", "t", transport=httpx.MockTransport(handle))
        set_portal_client(client)

    yield install
    set_portal_client(None)


ACTIVE = {
    "status": "active",
    "mandate_reference": "410020260001-002",
    "first_collection_date": "2027-01-04",
    "document_url": "http://portal.test/documents/x/y.pdf",
}


@pytest.mark.parametrize("sign_status", [409, 0])  # a conflict, a timeout
def test_an_active_mandate_is_reported_as_signed(
    portal_answers: Callable[[dict[str, Any], int], None], sign_status: int
) -> None:
    portal_answers(ACTIVE, sign_status)
    dispatcher = CollectingDispatcher()
    slots = asyncio.run(mandate.sign("123456", dispatcher, tracker()))
    assert slots["signature_code"] == "signed"
    assert slots["mandate_reference"] == "410020260001-002"
    assert slots["mandate_first_collection"] == "2027-01-04"
    assert dispatcher.messages == []  # the form's end tells the citizen it is done


def test_a_mandate_still_pending_after_a_timeout_is_not_called_signed(
    portal_answers: Callable[[dict[str, Any], int], None],
) -> None:
    portal_answers({"status": "pending_signature"}, 0)
    dispatcher = CollectingDispatcher()
    slots = asyncio.run(mandate.sign("123456", dispatcher, tracker()))
    assert slots.get("signature_code") != "signed"
    assert [m["response"] for m in dispatcher.messages] == ["utter_payment_unavailable"]


def test_a_superseded_mandate_after_a_conflict_is_not_signable(
    portal_answers: Callable[[dict[str, Any], int], None],
) -> None:
    portal_answers({"status": "superseded"}, 409)
    dispatcher = CollectingDispatcher()
    asyncio.run(mandate.sign("123456", dispatcher, tracker()))
    assert [m["response"] for m in dispatcher.messages] == ["utter_signing_rejected"]
