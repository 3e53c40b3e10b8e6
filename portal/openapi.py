"""The OpenAPI 3.0 document: paths written here, schemas generated from ``portal.schemas``.

The same pydantic models validate the requests, so the document and the checks never drift.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from pydantic.schema import schema as pydantic_schema

from portal import schemas
from rules import kassenzeichen as kz
from rules import request_reference

REF = "#/components/schemas/"
PROBLEM = "application/problem+json"

_ERROR_TEXT = {
    "400": "Malformed request (not JSON, or a header is missing or wrong)",
    "401": "Missing or wrong bearer token",
    "403": "Refused by the city's signing policy (data/signing.yml): a login with BundID / the "
    "online ID is needed (`slug` signing-session-required, -mismatch, -not-completed) or the "
    "e-mail code is not allowed for this amount (email-code-not-allowed, with `signing_methods`)",
    "404": "Unknown resource",
    "409": "Conflict with the current state",
    "413": "Request body larger than 64 KiB",
    "422": "Validation failed; `errors` maps each field to a message",
    "429": "Too many failed attempts; see Retry-After",
    "503": "A backend (database, mail server) is not available; try again later",
    "default": "Any other error, as problem details (never a stack trace)",
}


def _problem(code: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _ERROR_TEXT[code],
        "content": {PROBLEM: {"schema": {"$ref": REF + "Problem"}}},
    }
    if code == "429":
        response["headers"] = {
            "Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait"}
        }
    if code == "401":
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    return response


def _json(model: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF + model}}},
    }


def _op(
    summary: str,
    ok: tuple[str, dict[str, Any]],
    errors: tuple[str, ...],
    *,
    body: str | None = None,
    params: list[dict[str, Any]] | None = None,
    public: bool = False,
    description: str = "",
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    responses = {ok[0]: ok[1], **(extra or {})}
    for code in ("401", "413", *errors, "default") if not public else ("default",):
        responses[code] = _problem(code)
    operation: dict[str, Any] = {"summary": summary, "responses": responses}
    if description:
        operation["description"] = description
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": REF + body}}},
        }
    if params:
        operation["parameters"] = params
    if public:
        operation["security"] = []
    return operation


def _path(name: str, pattern: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "pattern": pattern},
    }


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": True,
        "description": description,
        "schema": schema,
    }


MANDATE_ID = _path("id", "^[0-9a-f]{32}$", "mandate id (32 hex digits)")
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": True,
    "description": "Client-chosen key, 1–255 visible ASCII characters. The same key with the same "
    "body returns the first answer again (201, same id, no second mail); with another body 422.",
    "schema": {"type": "string", "pattern": "^[!-~]{1,255}$"},
}


CLIENT_HEADERS = [
    {
        "name": "X-Client-Id",
        "in": "header",
        "required": False,
        "description": "The citizen's conversation (its sender id, percent-encoded UTF-8, at most "
        "512 characters), sent by the action server on every lookup made for a citizen: failed "
        "lookups are counted per client as well as per Kassenzeichen or reference, and a status "
        "is shown without second fact only to the conversation that filed the request. Trusted "
        "only with the bearer token; without it the caller is the back office.",
        "schema": {"type": "string", "maxLength": 1600},
    },
    {
        "name": "X-Client-Channel",
        "in": "header",
        "required": False,
        "description": "The conversation's channel where known (e.g. socketio, telegram); only "
        "with X-Client-Id",
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,32}$"},
    },
]


def _paths() -> dict[str, Any]:
    return {
        "/health": {
            "get": _op(
                "Liveness and database check",
                ("200", _json("Health", "The database answers")),
                ("503",),
                public=True,
            )
        },
        "/openapi.json": {
            "get": _op(
                "This document",
                (
                    "200",
                    {"description": "OpenAPI 3.0 document", "content": {"application/json": {}}},
                ),
                (),
                public=True,
            )
        },
        "/api/v1/invoices/lookup": {
            "post": _op(
                "Find an invoice by Kassenzeichen and amount",
                ("200", _json("Invoice", "The invoice (no payer name)")),
                ("400", "404", "422", "429"),
                body="InvoiceLookup",
                params=CLIENT_HEADERS,
                description="404 alike for an unknown Kassenzeichen and a wrong amount. After 5 "
                "failures within 15 minutes for one Kassenzeichen, or 10 of one client "
                "(X-Client-Id; invoice and status lookups together), 429 with Retry-After (also "
                "for correct amounts while throttled) and `limit`: `kassenzeichen` or `client` "
                "(LOOKUP_* settings).",
            )
        },
        **_mandate_paths(),
        **_signing_paths(),
        **_other_paths(),
    }


def _mandate_paths() -> dict[str, Any]:
    return {
        "/api/v1/mandates": {
            "post": _op(
                "Create a SEPA mandate (and mail its 6-digit signing code where the city allows "
                "it)",
                (
                    "201",
                    _json(
                        "MandateCreatedAnswer",
                        "Created; `signing_methods` says how it may be signed. The code was "
                        "mailed only when `email_code` is among them",
                    ),
                ),
                ("400", "404", "409", "422", "429", "503"),
                body="MandateCreate",
                params=[IDEMPOTENCY_KEY],
                description="Kassenzeichen and amount must match an invoice (404 as in lookup). "
                "IBANs of the whole SEPA zone are accepted; `bic` and `debtor_address` are "
                "required for SEPA countries outside the EEA (CH, GB, SM, VA, MC, AD, …). "
                "`consent_text_version` must be a known version (sepa-mandate-2026-1). "
                "The code expires after 15 minutes; a new one comes from "
                "POST /api/v1/mandates/{id}/resend-code. Above the amount up to which the city "
                "allows the e-mail code (data/signing.yml) no code is mailed: the mandate is "
                "signed with a login (POST /api/v1/signing-sessions, purpose sign_mandate, at "
                "`required_level`).",
            ),
            "get": _op(
                "The mandates of an invoice",
                ("200", _json("MandateList", "Mandates, IBANs masked")),
                ("422",),
                params=[
                    _query(
                        "kassenzeichen",
                        {"type": "string", "pattern": kz.PATTERN},
                        f"Kassenzeichen: {kz.DESCRIPTION}",
                    )
                ],
            ),
        },
        "/api/v1/mandates/{id}": {
            "get": _op(
                "One mandate",
                ("200", _json("Mandate", "The mandate, IBAN and e-mail masked")),
                ("404",),
                params=[MANDATE_ID],
            )
        },
        "/api/v1/mandates/{id}/sign": {
            "post": _op(
                "Sign a pending mandate with the mailed code",
                ("200", _json("MandateSigned", "Signed: active, sealed PDF, confirmation mailed")),
                ("400", "403", "404", "409", "422"),
                body="SignRequest",
                params=[MANDATE_ID],
                description="Wrong code: 422 with `attempts_left` and `mandate_status`; the "
                "third wrong code rejects the mandate (`attempts_left: 0`, `mandate_status: "
                "rejected`). Expired code: 422 with `code_expired: true` and `errors.code`; get "
                "a new code with POST /api/v1/mandates/{id}/resend-code. Not pending: 409.",
            )
        },
        "/api/v1/mandates/{id}/resend-code": {
            "post": _op(
                "Mail a new signing code (the old one stops working)",
                ("200", _json("CodeResent", "A new code was mailed")),
                ("403", "404", "409", "429", "503"),
                params=[MANDATE_ID],
                description="Failed attempts are kept: three wrong codes in all reject it. "
                "While the last code still works, a new one is mailed at most once a minute "
                "(429 with Retry-After).",
            )
        },
        "/api/v1/mandates/{id}/revoke": {
            "post": _optional_body(
                "RevokeRequest",
                _op(
                    "Revoke a mandate (no further collections)",
                    ("200", _json("Mandate", "Revoked")),
                    ("400", "403", "404", "409", "422"),
                    params=[MANDATE_ID],
                    description="Where the city's policy asks for a login to revoke "
                    "(data/signing.yml, revoke_mandate), the body names a completed signing "
                    "session of purpose revoke_mandate for this mandate, by the signer or the "
                    "account holder; it is used up here. Without a body the policy decides (403 "
                    "when a login is needed).",
                ),
            )
        },
        "/documents/{id}/{file}": {
            "get": _op(
                "The sealed mandate PDF for the citizen (link from the signing answer)",
                (
                    "200",
                    {
                        "description": "PDF sealed with the city's key",
                        "content": {
                            "application/pdf": {"schema": {"type": "string", "format": "binary"}}
                        },
                    },
                ),
                (),
                params=[
                    MANDATE_ID,
                    _path("file", "^[0-9a-f]{32}[.]pdf$", "signature of the link, then .pdf"),
                ],
                public=True,
                description="No bearer token: the path carries an HMAC of the mandate id "
                "(`document_url` of the signing answer). 404 for any wrong part.",
                extra={"404": _problem("404")},
            )
        },
        "/api/v1/mandates/{id}/document": {
            "get": _op(
                "The sealed mandate PDF (PAdES)",
                (
                    "200",
                    {
                        "description": "PDF sealed with the city's key",
                        "content": {
                            "application/pdf": {"schema": {"type": "string", "format": "binary"}}
                        },
                    },
                ),
                ("404",),
                params=[MANDATE_ID],
                description="404 until the mandate is signed.",
            )
        },
    }


_HTML_PAGE = {"text/html": {"schema": {"type": "string"}}}


def _optional_body(model: str, operation: dict[str, Any]) -> dict[str, Any]:
    operation["requestBody"] = {
        "required": False,
        "content": {"application/json": {"schema": {"$ref": REF + model}}},
    }
    return operation


def _page(description: str) -> dict[str, Any]:
    return {"description": description, "content": _HTML_PAGE}


SIGNING_SESSION_ID = _path("id", "^[0-9a-f]{32}$", "signing session id (32 hex digits)")


def _signing_paths() -> dict[str, Any]:
    """Signing with a login at BundID / the Servicekonto (SAML 2.0; portal/README.md)."""
    return {
        "/api/v1/signing-sessions": {
            "post": _op(
                "Start a login for one action: a short-lived, single-use link for the citizen",
                ("201", _json("SigningSessionCreated", "The link and the level asked for")),
                ("400", "404", "409", "422"),
                body="SigningSessionCreate",
                description="purpose sign_mandate needs a pending mandate, revoke_mandate an "
                "active or pending one (404 unknown, 409 in another state); order_certificate "
                "any subject. The level is the city's (data/signing.yml). When the login ends "
                "(signed, refused, cancelled) the conversation is told through Rasa "
                "(intent signing_finished).",
            )
        },
        "/api/v1/signing-sessions/{id}": {
            "get": _op(
                "The state of a signing session",
                ("200", _json("SigningSession", "Its status, level, signer's name or failure")),
                ("404",),
                params=[SIGNING_SESSION_ID],
            )
        },
        "/signing/{token}": {
            "get": _op(
                "The citizen's signing link: posts a signed AuthnRequest to the IdP",
                ("200", _page("A page that posts the AuthnRequest to the IdP (HTTP-POST)")),
                (),
                params=[_path("token", "^[A-Za-z0-9_-]{20,64}$", "the link's token (single use)")],
                public=True,
                description="No bearer token: the browser comes here. The link works once and "
                "before it expires (SIGNING_SESSION_MINUTES); otherwise a page in German and "
                "English says what to do. The token is masked in the access log.",
                extra={
                    "404": _page("Unknown link"),
                    "409": _page("Link already used"),
                    "410": _page("Link expired"),
                    "503": _page("The IdP's metadata cannot be read; the link works again later"),
                },
            )
        },
        "/saml/metadata": {
            "get": _op(
                "The portal's SAML service-provider metadata (register it with the IdP)",
                (
                    "200",
                    {
                        "description": "EntityDescriptor: HTTP-POST AssertionConsumerService, "
                        "signing and encryption certificate, requested attributes",
                        "content": {"application/samlmetadata+xml": {"schema": {"type": "string"}}},
                    },
                ),
                (),
                public=True,
            )
        },
        "/saml/acs": {
            "post": {
                **_op(
                    "The assertion consumer service (HTTP-POST binding)",
                    ("200", _page("Signed or login confirmed: back to the chat")),
                    (),
                    public=True,
                    description="The IdP's Response for a request this portal sent: signed by "
                    "the IdP's key in IDP_METADATA, for our audience and ACS, in time, not seen "
                    "before, at the level asked for. Anything else is refused with a page and a "
                    "log line (never the assertion's content) and nothing is signed.",
                    extra={
                        "400": _page("Invalid, expired, unsolicited or cancelled login"),
                        "403": _page("Level too low, or not the account holder or signer"),
                        "409": _page("Login already used, or the action is no longer open"),
                        "503": _page("The IdP's metadata cannot be read"),
                    },
                ),
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "required": ["SAMLResponse"],
                                "properties": {
                                    "SAMLResponse": {"type": "string"},
                                    "RelayState": {"type": "string"},
                                },
                            }
                        }
                    },
                },
            }
        },
    }


def _other_paths() -> dict[str, Any]:
    reference = _path(
        "reference",
        request_reference.PATTERN,
        "as issued, e.g. SR-2026-7KQM-4XDX (earlier requests: SR-2026-000123)",
    )
    return {
        "/api/v1/service-requests": {
            "post": _op(
                "File a service request",
                ("201", _json("ServiceRequestCreated", "Received; the reference is random")),
                ("400", "403", "409", "422"),
                body="ServiceRequestCreate",
                description="`type` selects the fields. A bulky waste `pickup_date` must be one "
                "of GET /api/v1/bulky-waste/dates (else 422; a date filled meanwhile is 409). "
                "A civil-status certificate (`type` certificate) needs, where the city's policy "
                "asks for a login (data/signing.yml, order_certificate), `signing_session_id`: a "
                "completed signing session of purpose order_certificate of the same "
                "`conversation_id` at the policy's level; it is used up by the filing (403 "
                "without it, for another purpose or conversation, not completed or too low a "
                "level; 409 when used already). Other types refuse the field (422).",
            )
        },
        "/api/v1/service-requests/{reference}": {
            "get": _op(
                "Status and history of a service request",
                ("200", _json("ServiceRequest", "The request")),
                ("400", "404", "429"),
                params=[reference, *CLIENT_HEADERS],
                description="Without X-Client-Id (the back office): any request. With it: only "
                "the conversation that filed the request; any other client gets the 404 of an "
                "unknown reference, counted toward the limits (429 with `limit`: `client` or "
                "`reference`). A citizen in another conversation uses POST "
                "/api/v1/service-requests/lookup with the second fact.",
            )
        },
        "/api/v1/service-requests/lookup": {
            "post": _op(
                "Status of a service request for a citizen: the filing conversation or a second "
                "fact given at filing",
                ("200", _json("ServiceRequest", "The request")),
                ("400", "404", "422", "429"),
                body="StatusLookup",
                params=CLIENT_HEADERS,
                description="Answered when X-Client-Id is the conversation that filed the "
                "request, or `second_fact` matches what was given at filing (e-mail or phone "
                "given as contact, the postcode or the street and house number of an address). "
                "Otherwise the same 404 as for an unknown reference; each such miss counts per "
                "reference (5 in 15 minutes) and per client (10, with invoice lookups), then 429 "
                "with Retry-After and `limit`.",
            )
        },
        "/api/v1/bulky-waste/dates": {
            "get": _op(
                "Next bulky waste pickup dates with free capacity",
                ("200", _json("PickupDates", "Dates and free pickups")),
                (),
            )
        },
        "/api/v1/appointments/slots": {
            "get": _op(
                "Free Stadtbüro appointment slots (next 14 days, 15 minutes each)",
                ("200", _json("SlotList", "Free slots")),
                ("422",),
                params=[
                    _query(
                        "service",
                        {"type": "string", "enum": ["id_card", "passport", "registration"]},
                        "the service",
                    )
                ],
            )
        },
        "/api/v1/appointments": {
            "post": _op(
                "Book a slot",
                ("201", _json("Appointment", "Booked")),
                ("400", "404", "409", "422"),
                body="AppointmentCreate",
                description="A slot already taken is 409 (also under concurrent requests); an "
                "unknown or past slot is 404.",
            )
        },
        "/api/v1/exports/pain.008": {
            "get": _op(
                "pain.008.001.08 file of the collections due on a day",
                (
                    "200",
                    {
                        "description": "XML valid against pain.008.001.08; FRST for a mandate's "
                        "first collection, RCUR after. Each exported collection is recorded.",
                        "content": {"application/xml": {"schema": {"type": "string"}}},
                    },
                ),
                ("422",),
                extra={"204": {"description": "No collection is due that day"}},
                params=[
                    _query("collection_date", {"type": "string", "format": "date"}, "YYYY-MM-DD")
                ],
                description="A new batch of the day's pre-notified collections that are in no "
                "batch yet; when nothing is new, the day's last batch again, byte for byte "
                "(header X-Batch-Id). Today, past days and TARGET2 closing days are 422.",
            )
        },
        **_collection_paths(),
    }


_XML = {"application/xml": {"schema": {"type": "string"}}}
_ITEMS = {
    "application/json": {
        "schema": {
            "type": "object",
            "required": ["items"],
            "properties": {"items": {"type": "array", "items": {"type": "object"}}},
        }
    }
}
_DAY = [_query("collection_date", {"type": "string", "format": "date"}, "YYYY-MM-DD")]


def _collection_paths() -> dict[str, Any]:
    """Export batches, an invoice's collection schedule, returns, the mail outbox."""
    return {
        "/api/v1/exports/batches": {
            "post": _op(
                "Make a new pain.008 batch of what is in no batch yet",
                ("201", {"description": "the new batch (header X-Batch-Id)", "content": _XML}),
                ("422",),
                extra={"204": {"description": "Nothing new for that day"}},
                params=_DAY,
            ),
            "get": _op(
                "The batches of a collection date",
                ("200", {"description": "batches", "content": _ITEMS}),
                ("422",),
                params=_DAY,
            ),
        },
        "/api/v1/exports/batches/{batch_id}": {
            "get": _op(
                "A batch as first handed out, byte for byte",
                ("200", {"description": "pain.008.001.08", "content": _XML}),
                ("404",),
                params=[
                    {
                        "name": "batch_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
            )
        },
        "/api/v1/collections": {
            "get": _op(
                "The collection schedule of an invoice, across all its mandates",
                ("200", {"description": "collections by due date", "content": _ITEMS}),
                ("404", "422"),
                params=[_query("kassenzeichen", {"type": "string"}, "the invoice")],
            )
        },
        "/api/v1/collections/returns": {
            "get": _op(
                "Returned and rejected debits, newest first",
                ("200", {"description": "returns", "content": _ITEMS}),
                (),
            ),
            "post": {
                **_op(
                    "Import a pain.002 or camt.054 file (the body)",
                    (
                        "200",
                        {
                            "description": "matched, already returned, unknown end-to-end ids",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                    ),
                    ("422",),
                ),
                "requestBody": {"required": True, "content": _XML},
            },
        },
        "/api/v1/outbox": {
            "get": _op(
                "The mail outbox (?status=failed: mails that never went out)",
                ("200", {"description": "mails, newest first", "content": _ITEMS}),
                ("422",),
                params=[
                    {
                        "name": "status",
                        "in": "query",
                        "required": False,
                        "schema": {
                            "type": "string",
                            "enum": ["pending", "sending", "sent", "failed"],
                        },
                    }
                ],
            )
        },
        "/api/v1/outbox/{mail_id}/retry": {
            "post": _op(
                "Queue a failed mail again",
                (
                    "200",
                    {
                        "description": "queued",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                ),
                ("404",),
                params=[
                    {
                        "name": "mail_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    }
                ],
            )
        },
    }


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "string"}},
        "attempts_left": {"type": "integer"},
        "mandate_status": {"type": "string"},
        "code_expired": {"type": "boolean"},
        "retry_after": {"type": "integer"},
    },
    "additionalProperties": True,
}


def document() -> dict[str, Any]:
    models = [*schemas.REQUEST_MODELS, *schemas.RESPONSE_MODELS]
    components = pydantic_schema(models, ref_prefix=REF)["definitions"]
    components["Problem"] = PROBLEM_SCHEMA
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Bürgerbot portal API",
            "version": "1.0.0",
            "description": "What a city's back office offers the assistant: invoices, SEPA "
            "mandates signed electronically, service requests, appointments, pain.008 export. "
            "Errors are application/problem+json (RFC 9457).",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": _paths(),
        "components": {
            "schemas": components,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }


@functools.cache
def document_json() -> str:
    return json.dumps(document(), ensure_ascii=False)
