"""The pain.008 export for the bank."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, empty, raw

from portal import exports
from portal.http import portal
from portal.problems import validation_problem

bp = Blueprint("exports", url_prefix="/api/v1/exports")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _day(value: str) -> dt.date:
    try:
        if _DATE.fullmatch(value):
            return dt.date.fromisoformat(value)
    except ValueError:
        pass
    raise validation_problem({"collection_date": "Datum JJJJ-MM-TT / date YYYY-MM-DD"})


@bp.get("/pain.008")
async def pain008(request: Request) -> HTTPResponse:
    day = _day(request.args.get("collection_date", ""))
    xml = await asyncio.to_thread(exports.export, portal(request), day)
    if xml is None:
        return empty(status=204)
    return raw(
        xml,
        content_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="pain008-{day}.xml"'},
    )
