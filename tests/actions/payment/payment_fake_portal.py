"""An in-memory stand-in for the portal API, for unit tests of the payment forms only.

It follows the contract's shapes (see actions/portal_client.py); the real portal is exercised by
the portal's own tests and tests/e2e.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from actions.portal_client import PortalClient

CODE = "123456"


@dataclass
class FakePortal:
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    mandates: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    down: bool = False
    throttle_after: int | None = None
    throttle_limit: str = "kassenzeichen"  # the portal's `limit` in its 429
    misses: int = 0
    # The city's signing policy as the portal tells it at mandate creation (None: not said,
    # as before issue 15), and whether a revocation needs a completed login.
    signing_methods: list[str] | None = None
    revoke_needs_login: bool = False
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add_invoice(self, kassenzeichen: str, amount: str, **extra: Any) -> None:
        self.invoices[kassenzeichen] = {
            "kassenzeichen": kassenzeichen,
            "amount": amount,
            "currency": "EUR",
            "purpose": "Hundesteuer 2026",
            "due_date": "2026-12-15",
            "payment_state": "open",
            "active_mandate_id": None,
            **extra,
        }

    def client(self) -> PortalClient:
        return PortalClient("http://portal.test", "t", transport=httpx.MockTransport(self))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.down:
            raise httpx.ConnectError("refused")
        body = json.loads(request.content) if request.content else {}
        path = request.url.path
        if path == "/api/v1/invoices/lookup":
            return self._lookup(body)
        if path == "/api/v1/mandates" and request.method == "POST":
            return self._create(body, request.headers["Idempotency-Key"])
        if path == "/api/v1/signing-sessions" and request.method == "POST":
            return self._new_session(body)
        if path.startswith("/api/v1/signing-sessions/"):
            session = self.sessions.get(path.split("/")[-1])
            return _problem(404) if session is None else httpx.Response(200, json=session)
        if path.endswith("/resend-code"):
            mandate = self.mandates[path.split("/")[-2]]
            mandate["expired"] = False
            return httpx.Response(200, json=self._public(mandate))
        if path.endswith("/sign"):
            return self._sign(path.split("/")[-2], body)
        if path.endswith("/revoke"):
            return self._revoke(path.split("/")[-2], body)
        if path.startswith("/api/v1/mandates/"):
            return httpx.Response(200, json=self._public(self.mandates[path.split("/")[-1]]))
        return _problem(404)

    def _lookup(self, body: dict[str, Any]) -> httpx.Response:
        if self.throttle_after is not None and self.misses >= self.throttle_after:
            problem = {"status": 429, "limit": self.throttle_limit}
            return httpx.Response(429, headers={"Retry-After": "600"}, json=problem)
        invoice = self.invoices.get(body["kassenzeichen"])
        if invoice is None or invoice["amount"] != body["amount"]:
            self.misses += 1
            return _problem(404)
        return httpx.Response(200, json=invoice)

    def _create(self, body: dict[str, Any], key: str) -> httpx.Response:
        if key in self.keys:
            known_body, answer = self.keys[key]
            if known_body != json.dumps(body, sort_keys=True):
                return _problem(422, errors={"Idempotency-Key": "used with another body"})
            return httpx.Response(201, json=answer)
        mandate_id = f"m{len(self.mandates) + 1}"
        iban = body["iban"]
        self.mandates[mandate_id] = {
            "id": mandate_id,
            "status": "pending_signature",
            "iban_masked": iban[:4] + " **** " + iban[-4:],
            "kassenzeichen": body["kassenzeichen"],
            "body": body,
            "attempts": 3,
        }
        answer = {
            **self._public(self.mandates[mandate_id]),
            "code_expires_at": "2026-11-28T06:00:00Z",
        }
        if self.signing_methods is not None:
            answer.update(signing_methods=self.signing_methods, required_level="high")
        self.keys[key] = (json.dumps(body, sort_keys=True), answer)
        return httpx.Response(201, json=answer)

    def _sign(self, mandate_id: str, body: dict[str, Any]) -> httpx.Response:
        mandate = self.mandates[mandate_id]
        if mandate["status"] != "pending_signature":
            return _problem(409)
        if self.signing_methods is not None and "email_code" not in self.signing_methods:
            return _problem(403)
        if mandate.get("expired"):
            return _problem(422, code_expired=True, mandate_status=mandate["status"])
        if body["code"] != CODE:
            mandate["attempts"] -= 1
            if mandate["attempts"] == 0:
                mandate["status"] = "rejected"
            return _problem(
                422, attempts_left=mandate["attempts"], mandate_status=mandate["status"]
            )
        self._activate(mandate)
        return httpx.Response(
            200,
            json={
                "id": mandate_id,
                "status": "active",
                "mandate_reference": mandate["mandate_reference"],
                "creditor_id": "DE98ZZZ09999999999",
                "creditor_name": "Universitätsstadt Marburg",
                "signed_at": "2026-11-28T05:40:00Z",
                "document_url": f"/api/v1/mandates/{mandate_id}/document",
                "first_collection_date": "2026-12-15",
                "sequence_type": "RCUR",
            },
        )

    def _activate(self, mandate: dict[str, Any]) -> None:
        mandate.update(
            status="active",
            mandate_reference=f"{mandate['kassenzeichen']}-01",
            first_collection_date="2026-12-15",
            document_url=f"/api/v1/mandates/{mandate['id']}/document",
        )
        invoice = self.invoices[mandate["kassenzeichen"]]
        invoice.update(payment_state="direct_debit", active_mandate_id=mandate["id"])

    def _revoke(self, mandate_id: str, body: dict[str, Any]) -> httpx.Response:
        mandate = self.mandates[mandate_id]
        if mandate["status"] != "active":
            return _problem(409)
        session = self.sessions.get(str(body.get("signing_session_id")))
        if self.revoke_needs_login and (session is None or session["status"] != "completed"):
            return _problem(403)
        mandate["status"] = "revoked"
        return httpx.Response(200, json=self._public(mandate))

    def _new_session(self, body: dict[str, Any]) -> httpx.Response:
        session_id = f"ab{len(self.sessions) + 1}cd"
        self.sessions[session_id] = {
            "id": session_id,
            "status": "pending",
            "purpose": body["purpose"],
            "subject_id": body["subject_id"],
            "conversation_id": body["conversation_id"],
            "output_channel": body["output_channel"],
            "language": body["language"],
            "level": None,
            "signer_name": None,
            "failure": None,
        }
        return httpx.Response(
            201,
            json={
                "id": session_id,
                "url": f"http://portal.test/signing/{session_id}?t=once",
                "expires_at": "2026-11-28T06:10:00Z",
                "required_level": "high",
            },
        )

    def finish(self, session_id: str, *, failure: str | None = None, level: str = "high") -> None:
        """The citizen's login at the IdP ends (what the real portal does at /saml/acs)."""
        session = self.sessions[session_id]
        if failure is None:
            session.update(status="completed", level=level, signer_name="Erika Mustermann")
            if session["purpose"] == "sign_mandate":
                self._activate(self.mandates[session["subject_id"]])
        else:
            session.update(status="expired" if failure == "expired" else "failed", failure=failure)

    @staticmethod
    def _public(mandate: dict[str, Any]) -> dict[str, Any]:
        keys = (
            "id",
            "status",
            "iban_masked",
            "kassenzeichen",
            "mandate_reference",
            "first_collection_date",
            "document_url",
        )
        return {key: mandate.get(key) for key in keys}

    def created(self) -> list[dict[str, Any]]:
        return [mandate["body"] for mandate in self.mandates.values()]


def _problem(status: int, **extra: Any) -> httpx.Response:
    body = {"type": "about:blank", "title": "x", "status": status, "detail": "internal", **extra}
    return httpx.Response(status, json=body, headers={"Content-Type": "application/problem+json"})
