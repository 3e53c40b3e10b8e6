"""Signing sessions for the action server: create one (its link goes to the citizen), read it."""

from __future__ import annotations

import asyncio
import json
import re

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from portal import schemas, signing
from portal.http import parse_body, portal
from portal.problems import Problem
from portal.storage import signing as store

bp = Blueprint("signing_sessions", url_prefix="/api/v1/signing-sessions")
_ID = re.compile(r"[0-9a-f]{32}")


@bp.post("")
async def create(request: Request) -> HTTPResponse:
    # the schema's checks first (types, lengths, unknown fields), then signing.create's own
    body = parse_body(request, schemas.SigningSessionCreate).dict()
    ctx = portal(request)
    created = await asyncio.to_thread(signing.create, ctx, request.app.ctx.signing, body)
    return HTTPResponse(json.dumps(created), status=201, content_type="application/json")


@bp.get("/<session_id:str>")
async def read(request: Request, session_id: str) -> HTTPResponse:
    ctx = portal(request)
    row = await ctx.db(store.get, session_id) if _ID.fullmatch(session_id) else None
    if row is None:
        raise Problem(404, "Diese Sitzung gibt es nicht. / No such signing session.")
    return HTTPResponse(json.dumps(signing.view(row, ctx.now())), content_type="application/json")
