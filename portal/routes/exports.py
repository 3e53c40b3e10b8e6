"""The pain.008 export for the bank: the day's file, and the batches it is made of."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, empty, raw

from portal import exports
from portal.http import portal
from portal.problems import Problem, validation_problem

bp = Blueprint("exports", url_prefix="/api/v1/exports")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BATCH = re.compile(r"DD-[0-9]{8}-[0-9]{2,4}")


def _day(value: str) -> dt.date:
    try:
        if _DATE.fullmatch(value):
            return dt.date.fromisoformat(value)
    except ValueError:
        pass
    raise validation_problem({"collection_date": "Datum JJJJ-MM-TT / date YYYY-MM-DD"})


def _file(batch: exports.Batch, left_out: int) -> HTTPResponse:
    return raw(
        batch.xml,
        content_type="application/xml",
        headers={
            "Content-Disposition": f'attachment; filename="pain008-{batch.id}.xml"',
            "X-Batch-Id": batch.id,
            # collections of the day refused because they were not pre-notified in time
            "X-Not-Prenotified": str(left_out),
        },
    )


@bp.get("/pain.008")
async def pain008(request: Request) -> HTTPResponse:
    """A new batch of what is new for the day; else the day's last batch again; else 204."""
    day = _day(request.args.get("collection_date", ""))
    ctx = portal(request)
    batch = await asyncio.to_thread(exports.day_file, ctx, day)
    left_out = await asyncio.to_thread(exports.not_prenotified, ctx, day)
    if batch is None:
        return empty(status=204, headers={"X-Not-Prenotified": str(left_out)})
    return _file(batch, left_out)


@bp.post("/batches")
async def create_batch(request: Request) -> HTTPResponse:
    """Only what is in no batch yet: 201 with the file, 204 when nothing is new."""
    day = _day(request.args.get("collection_date", ""))
    ctx = portal(request)
    batch = await asyncio.to_thread(exports.create_batch, ctx, day)
    left_out = await asyncio.to_thread(exports.not_prenotified, ctx, day)
    if batch is None:
        return empty(status=204, headers={"X-Not-Prenotified": str(left_out)})
    response = _file(batch, left_out)
    response.status = 201
    return response


@bp.get("/batches")
async def list_batches(request: Request) -> HTTPResponse:
    day = _day(request.args.get("collection_date", ""))
    rows = await asyncio.to_thread(exports.listing, portal(request), day)
    items = [
        {
            "id": row.id,
            "collection_date": row.collection_date.isoformat(),
            "created_at": row.created_at.isoformat() + "Z",
            "transactions": row.transactions,
            "total": f"{row.total_cents / 100:.2f}",
        }
        for row in rows
    ]
    return HTTPResponse(json.dumps({"items": items}), content_type="application/json")


@bp.get("/batches/<batch_id:str>")
async def batch_file(request: Request, batch_id: str) -> HTTPResponse:
    """A batch as it was first handed out, byte for byte."""
    xml = None
    if _BATCH.fullmatch(batch_id):
        xml = await asyncio.to_thread(exports.stored, portal(request), batch_id)
    if xml is None:
        raise Problem(404, "Diesen Stapel gibt es nicht. / No such batch.")
    return raw(
        xml,
        content_type="application/xml",
        headers={
            "Content-Disposition": f'attachment; filename="pain008-{batch_id}.xml"',
            "X-Batch-Id": batch_id,
        },
    )
