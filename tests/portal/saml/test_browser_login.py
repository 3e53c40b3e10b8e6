"""A citizen's signing in Chromium (Debian's, tests/support/browser.py): the chat's signing
link opens the portal's page, which posts the signed AuthnRequest to the development IdP; the
citizen fills in the IdP's login form, the IdP posts the encrypted assertion back to the
portal's ACS, and the portal's result page says, German first, that it is signed and the
citizen goes back to the chat. The mandate is then active, signed at level high.

The chat's side (the link in each channel, the conversation going on by itself) is tested
with the actions; here the browser's part: real form posts, redirects, scripts under the
pages' Content-Security-Policy, and nothing loaded from any other host.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Request
from portal_harness import MANDATE

from tests.portal.saml.conftest import SamlSystem
from tests.support import localhttp


def _mandate(system: SamlSystem) -> dict[str, Any]:
    body = {**MANDATE, "kassenzeichen": "4100.2026.0001", "amount": "48.00"}
    body.update(account_holder="Erika Mustermann", email=f"{uuid.uuid4().hex[:8]}@example.org")
    answer = system.portal.client().post(
        "/api/v1/mandates", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _session(system: SamlSystem, mandate_id: str) -> dict[str, Any]:
    answer = system.portal.client().post(
        "/api/v1/signing-sessions",
        json={
            "purpose": "sign_mandate",
            "subject_id": mandate_id,
            "conversation_id": f"browser-{uuid.uuid4().hex[:8]}",
            "output_channel": "socketio",
        },
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_signing_in_the_browser_with_the_dev_idp(saml_system: SamlSystem, browser: Browser) -> None:
    created = _mandate(saml_system)
    session = _session(saml_system, created["id"])
    assert session["required_level"] == "high"
    allowed = {urlsplit(saml_system.portal.url).netloc, urlsplit(saml_system.idp.url).netloc}
    seen: list[str] = []
    context = browser.new_context(locale="de-DE")
    page = context.new_page()

    def record(request: Request) -> None:
        seen.append(request.url)

    page.on("request", record)
    try:
        # the link: the portal's page submits the AuthnRequest by itself and the IdP's login
        # form appears
        page.goto(session["url"])
        page.wait_for_selector("#username", timeout=30_000)
        assert page.url == f"{saml_system.idp.url}/sso"
        assert page.locator("h1").inner_text().startswith("Entwicklungs-IdP")
        page.fill("#username", "erika")
        page.fill("#password", "erika-ausweis")
        with page.expect_navigation(url=f"{saml_system.portal.url}/saml/acs", timeout=30_000):
            page.click("button[value=login]")
        page.wait_for_load_state("load")
        assert page.url == f"{saml_system.portal.url}/saml/acs"
        assert page.locator("h1").inner_text() == "Unterschrieben"
        assert page.locator("html").get_attribute("lang") == "de"
        paragraphs = page.locator("main p").all_inner_texts()
        assert "zum Chat zurückkehren" in paragraphs[0]  # German first
        assert "back to the chat" in paragraphs[1]
        assert page.locator('main p[lang="en"]').count() == 1
    finally:
        context.close()
    assert all(urlsplit(url).netloc in allowed for url in seen), seen
    mandate = saml_system.portal.client().get(f"/api/v1/mandates/{created['id']}").json()
    assert mandate["status"] == "active"
    assert mandate["evidence"]["signature"]["level_of_assurance"] == "high"
    assert mandate["evidence"]["signature"]["signer_name"] == "Erika Mustermann"
    state = saml_system.portal.client().get(f"/api/v1/signing-sessions/{session['id']}").json()
    assert (state["status"], state["level"]) == ("completed", "high")
    # the link worked once: a second visit in any browser changes nothing
    assert localhttp.get(session["url"]).status_code == 409
