"""The citizen's link to a signed mandate PDF (no bearer token; an HMAC in the path)."""

from __future__ import annotations

import re

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, raw

from portal import document_links
from portal.http import portal
from portal.problems import Problem
from portal.storage import mandates as store

bp = Blueprint("documents", url_prefix="/documents")
_ID = re.compile(r"[0-9a-f]{32}")
_SIGNATURE = re.compile(r"([0-9a-f]{32})\.pdf")


@bp.get("/<mandate_id:str>/<file_name:str>")
async def mandate_document(request: Request, mandate_id: str, file_name: str) -> HTTPResponse:
    ctx = portal(request)
    given = _SIGNATURE.fullmatch(file_name)
    # One answer for a wrong id, a wrong signature and an unsigned mandate: a link either works
    # or it does not, and nobody learns which ids exist.
    missing = Problem(404, "Dieses Dokument gibt es nicht. / No such document.")
    if not _ID.fullmatch(mandate_id) or given is None:
        raise missing
    if not document_links.is_valid(ctx.settings.api_token, mandate_id, given.group(1)):
        raise missing
    content = await ctx.db(store.document, mandate_id)
    if content is None:
        raise missing
    return raw(
        content,
        content_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="SEPA-Mandat-{mandate_id}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )
