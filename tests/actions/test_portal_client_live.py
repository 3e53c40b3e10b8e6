"""The portal client against the real portal process: each typed error from a real answer."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from actions import portal_client as pc

# The portal engineer's harness starts the real portal and mail sink; reuse it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "portal"))
from portal_harness import ROOT, TOKEN, MailSink, PortalProcess, mail_sink, portal_process

from devtools.processes import free_port
from tests.support.idp import idp_process, sign_in

pytestmark = pytest.mark.integration

REQUEST = pc.MandateRequest(
    kassenzeichen="4100.2026.0002",
    amount=Decimal("60.00"),
    account_holder="Max Mustermann",
    iban="DE89370400440532013000",
    email="max.client@example.org",
    consent_text_version="sepa-mandate-2026-1",
    channel="test",
)


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PortalProcess, MailSink]]:
    """The portal with its mail sink and the development IdP: revoking needs a login
    (data/signing.yml)."""
    folder = tmp_path_factory.mktemp("client-portal")
    (folder / "mail").mkdir()
    idp_port = free_port()
    with (
        mail_sink(folder / "mail") as sink,
        portal_process(
            f"sqlite:///{folder / 'portal.db'}",
            folder / "var",
            sink.port,
            DATA_DIR=str(ROOT / "data"),  # the city's policy as shipped: revoking needs a login
            IDP_METADATA=f"http://127.0.0.1:{idp_port}/metadata",
            # nobody listens there: the notification of the login's end stays queued
            RASA_URL=f"http://127.0.0.1:{free_port()}",
        ) as portal,
        idp_process(folder / "idp", idp_port, portal.url),
    ):
        yield portal, sink


def call(portal: PortalProcess, coroutine: Any, token: str = TOKEN) -> Any:
    async def scenario() -> Any:
        client = pc.PortalClient(portal.url, token)
        try:
            return await coroutine(client)
        finally:
            await client.aclose()

    return asyncio.run(scenario())


def test_lookup_of_a_demo_invoice(running: tuple[PortalProcess, MailSink]) -> None:
    portal, _ = running
    invoice = call(portal, lambda c: c.lookup_invoice("4100.2026.0002", Decimal("60")))
    assert invoice.kassenzeichen == "4100.2026.0002"
    assert invoice.amount == Decimal("60.00")
    assert invoice.payment_state in ("open", "direct_debit")


def test_a_wrong_token_is_an_auth_error(running: tuple[PortalProcess, MailSink]) -> None:
    portal, _ = running
    with pytest.raises(pc.PortalAuthError):
        call(portal, lambda c: c.lookup_invoice("4100.2026.0002", Decimal("60")), token="wrong")


def test_misses_are_not_found_then_throttled(running: tuple[PortalProcess, MailSink]) -> None:
    portal, _ = running
    for _ in range(5):
        with pytest.raises(pc.NotFound):
            call(portal, lambda c: c.lookup_invoice("4100.2026.0009", Decimal("1")))
    with pytest.raises(pc.Throttled) as caught:
        call(portal, lambda c: c.lookup_invoice("4100.2026.0009", Decimal("66")))
    assert caught.value.retry_after is None or caught.value.retry_after > 0


def test_create_replay_sign_and_conflicts(running: tuple[PortalProcess, MailSink]) -> None:
    portal, sink = running
    first = call(portal, lambda c: c.create_mandate(REQUEST, "client-live-1"))
    again = call(portal, lambda c: c.create_mandate(REQUEST, "client-live-1"))
    assert first.status == "pending_signature" and again.id == first.id
    assert first.iban_masked == "DE89 **** **** **** **30 00"
    other = replace(REQUEST, email="someone.else@example.org")
    with pytest.raises(pc.PortalRejected):
        call(portal, lambda c: c.create_mandate(other, "client-live-1"))

    code = sink.code_for(REQUEST.email)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(pc.PortalRejected) as caught:
        call(portal, lambda c: c.sign_mandate(first.id, wrong))
    assert (caught.value.attempts_left, caught.value.mandate_status) == (2, "pending_signature")

    signed = call(portal, lambda c: c.sign_mandate(first.id, code))
    assert signed.status == "active" and signed.mandate_reference
    assert signed.creditor_id
    with pytest.raises(pc.Conflict):
        call(portal, lambda c: c.sign_mandate(first.id, code))

    listed = call(portal, lambda c: c.mandates_of("4100.2026.0002"))
    assert [m.id for m in listed if m.status == "active"] == [first.id]
    document = call(portal, lambda c: c.mandate_document(first.id))
    assert document.startswith(b"%PDF")
    # revoking needs a completed login of the signer or the account holder (data/signing.yml)
    with pytest.raises(pc.PortalAuthError):
        call(portal, lambda c: c.revoke_mandate(first.id))
    session = call(
        portal,
        lambda c: c.create_signing_session("revoke_mandate", first.id, "client-live", "rest", "de"),
    )
    assert session.status == "pending" and session.required_level == "substantial"
    assert sign_in(str(session.url), "max").status_code == 200  # Max Mustermann, the holder
    revoked = call(portal, lambda c: c.revoke_mandate(first.id, session.id))
    assert revoked.status == "revoked"
    with pytest.raises(pc.Conflict):  # the login was used up by the revocation
        call(portal, lambda c: c.revoke_mandate(first.id, session.id))


def test_an_unknown_mandate_is_not_found(running: tuple[PortalProcess, MailSink]) -> None:
    portal, _ = running
    with pytest.raises(pc.NotFound):
        call(portal, lambda c: c.get_mandate("0" * 32))
