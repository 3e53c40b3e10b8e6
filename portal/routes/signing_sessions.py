"""Signing sessions for the action server: create one (its link goes to the citizen), read it."""

from __future__ import annotations

import asyncio
import json
import re

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from portal import signing
from portal.http import load_json, portal
from portal.problems import Problem, validation_problem
from portal.storage import signing as store

bp = Blueprint("signing_sessions", url_prefix="/api/v1/signing-sessions")
_ID = re.compile(r"[0-9a-f]{32}")


@bp.post("")
async def create(request: Request) -> HTTPResponse:
    body = load_json(request)
    if not isinstance(body, dict):
        raise validation_problem({"body": "muss ein JSON-Objekt sein / must be a JSON object"})
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
