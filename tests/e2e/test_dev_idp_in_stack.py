"""The development IdP is part of the system `make run` and the tests start (Procfile, health
check): on a port of its own, and the portal's IDP_METADATA names that IdP, so a signing link
of this system's portal leads to this system's IdP and back."""

from __future__ import annotations

import uuid

from bot.settings import PORT_DEFAULTS
from tests.portal.saml.saml_harness import login
from tests.support import localhttp
from tests.support.stack import Stack


def test_the_stacks_portal_logs_in_at_the_stacks_idp(stack: Stack) -> None:
    idp = stack.url("IDP_PORT")
    assert stack.env["IDP_PORT"] != str(PORT_DEFAULTS["IDP_PORT"])  # a free port, not 8090
    assert stack.env["IDP_METADATA"] == f"{idp}/metadata"
    assert localhttp.get(f"{idp}/health", timeout=5).status_code == 200
    portal = localhttp.Client(
        base_url=stack.url("PORTAL_PORT"),
        headers={"Authorization": f"Bearer {stack.env['PORTAL_API_TOKEN']}"},
        timeout=30,
    )
    with portal:
        session = portal.post(
            "/api/v1/signing-sessions",
            json={
                "purpose": "order_certificate",
                "subject_id": "certificate",
                "conversation_id": f"idp-stack-{uuid.uuid4().hex[:8]}",
                "output_channel": "rest",
            },
        ).json()
        acs, fields = login(session["url"], "jonas", "jonas-elster")
        assert acs == f"{stack.url('PORTAL_PORT')}/saml/acs"
        answer = localhttp.post(acs, data=fields, timeout=30)
        assert answer.status_code == 200 and "Angemeldet" in answer.text
        state = portal.get(f"/api/v1/signing-sessions/{session['id']}").json()
    assert (state["status"], state["level"]) == ("completed", "substantial")
