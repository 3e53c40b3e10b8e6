"""The mandate carries the conversation's language, so the portal's later mails (notices,
returns, revocation) speak it."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker

from actions.payment import mandate

SLOTS = {
    "kassenzeichen": "4100.2026.0001",
    "invoice_amount": "48.00",
    "account_holder": "Erika Mustermann",
    "email": "erika@example.org",
}


@pytest.mark.parametrize(("language", "sent"), [("en", "en"), ("de", None)])
def test_the_request_names_the_language(language: str, sent: str | None) -> None:
    tracker = Tracker(
        "s", {**SLOTS, "language": language}, {}, [], False, None, {}, "action_listen"
    )
    body = mandate.mandate_request(tracker, "DE89370400440532013000").body()
    assert body.get("language") == sent
