"""The SAML service provider's routes and the citizen's signing link (no bearer token: the
browser comes here; the link's token and the IdP's signature protect them).

`GET /saml/metadata`, `POST /saml/acs`, `GET /signing/<token>`.
"""

from __future__ import annotations

import asyncio
import logging

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from portal import signing, signing_pages
from portal.http import portal
from portal.saml import sp

log = logging.getLogger("portal.saml")
bp = Blueprint("saml")


def _signing(request: Request) -> signing.Signing:
    value: signing.Signing = request.app.ctx.signing
    return value


@bp.get("/saml/metadata")
async def metadata(request: Request) -> HTTPResponse:
    xml = await asyncio.to_thread(sp.metadata_xml, _signing(request).config.sp)
    return HTTPResponse(
        xml,
        content_type="application/samlmetadata+xml",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@bp.get("/signing/<token:str>")
async def signing_link(request: Request, token: str) -> HTTPResponse:
    outcome = await asyncio.to_thread(signing.open_link, portal(request), _signing(request), token)
    if outcome.kind != "post" or outcome.request is None:
        log.info("signing link refused: %s", outcome.kind)
        return signing_pages.message(outcome.kind)
    return signing_pages.post_to_idp(
        outcome.request.destination, outcome.request.saml_request, outcome.session_id or ""
    )


@bp.post("/saml/acs")
async def acs(request: Request) -> HTTPResponse:
    saml_response = _form_field(request, "SAMLResponse")
    ctx = portal(request)
    outcome = await asyncio.to_thread(signing.finish, ctx, _signing(request), saml_response)
    if outcome.session_id is not None:
        request.app.ctx.rasa_worker.wake()
    # one line per response, naming the session and the reason: never the assertion, the
    # name or the pseudonym
    level = logging.INFO if outcome.kind in ("signed", "verified") else logging.WARNING
    log.log(level, "ACS %s: session %s, %s", outcome.kind, outcome.session_id, outcome.reason)
    return signing_pages.message(outcome.kind)


def _form_field(request: Request, name: str) -> str:
    """A field of the HTTP-POST binding's form (application/x-www-form-urlencoded). Any other
    body is no response at all: sanic would log a traceback for a multipart body without a
    boundary, and nothing but the IdP's form posts here."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded" or not request.form:
        return ""
    return str(request.form.get(name) or "")
