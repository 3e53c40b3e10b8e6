"""The collection schedule for staff: an invoice's collections, returns, mail that failed."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from portal import outbox, returns, treasury
from portal.http import portal
from portal.problems import Problem, validation_problem
from portal.storage import collections as store
from portal.storage import invoices
from rules import kassenzeichen as kz

bp = Blueprint("collections", url_prefix="/api/v1")


def _json(value: Any, status: int = 200) -> HTTPResponse:
    return HTTPResponse(
        json.dumps(value, default=str), status=status, content_type="application/json"
    )


def _collection(row: Any) -> dict[str, Any]:
    return {
        "end_to_end_id": row.end_to_end_id,
        "mandate_id": row.mandate_id,
        "due_date": row.due_date.isoformat(),
        "collection_date": row.collection_date.isoformat(),
        "amount": f"{row.amount_cents / 100:.2f}",
        "status": row.status,
        "sequence_type": row.sequence_type,
        "batch_id": row.batch_id,
        "prenotified": row.prenotified_at is not None,
        "return_reason": row.return_reason,
    }


@bp.get("/collections")
async def schedule_of_invoice(request: Request) -> HTTPResponse:
    """Every collection of one invoice, across all its mandates."""
    try:
        number = kz.validate(request.args.get("kassenzeichen", ""))
    except ValueError as exc:
        raise validation_problem({"kassenzeichen": str(exc)}) from exc

    def load(conn: Any) -> list[Any] | None:
        invoice = invoices.find(conn, number)
        return None if invoice is None else store.for_invoice(conn, invoice.id)

    rows = await portal(request).db(load)
    if rows is None:
        raise Problem(404, "Diese Rechnung gibt es nicht. / No such invoice.")
    return _json({"items": [_collection(row) for row in rows]})


@bp.get("/collections/returns")
async def returned(request: Request) -> HTTPResponse:
    """Returned debits, newest first: what staff must follow up."""
    rows = await portal(request).db(store.returned)
    items = [
        {
            **_collection(row),
            "kassenzeichen": kz.format(row.kassenzeichen),
            "mandate_reference": row.mandate_reference,
            "returned_at": row.returned_at.isoformat() + "Z",
            "return_source": row.return_source,
        }
        for row in rows
    ]
    return _json({"items": items})


@bp.post("/collections/returns")
async def import_returns(request: Request) -> HTTPResponse:
    """Import a pain.002 or camt.054 file (the request body, XML)."""
    ctx = portal(request)
    try:
        step = treasury.import_returns(request.body or b"")
    except returns.ReturnFileError as exc:
        raise Problem(
            422,
            f"Keine lesbare pain.002- oder camt.054-Datei. / Not a readable pain.002 or"
            f" camt.054 file: {exc}",
            slug="return-file-unreadable",
        ) from exc
    report = await asyncio.to_thread(treasury.run, ctx, step)
    return _json(
        {
            "kind": report.kind,
            "matched": report.matched,
            "already_returned": report.already,
            "unknown_end_to_end_ids": report.unknown,
        }
    )


_STATUSES = {"pending", "sending", "sent", "failed"}


@bp.get("/outbox")
async def mail_outbox(request: Request) -> HTTPResponse:
    """The outbox for staff: `?status=failed` lists the mails that never went out."""
    # a blank ?status= is a wrong value, not "all"
    status = request.get_args(keep_blank_values=True).get("status")
    if status is not None and status not in _STATUSES:
        raise validation_problem({"status": "pending, sending, sent or failed"})
    rows = await portal(request).db(outbox.listing, status)
    items = [
        {
            "id": row.id,
            "kind": row.kind,
            "mandate_id": row.mandate_id,
            "to": row.to_address,
            "subject": row.subject,
            "status": row.status,
            "attempts": row.attempts,
            "last_error": row.last_error,
            "created_at": row.created_at.isoformat() + "Z",
            "sent_at": row.sent_at.isoformat() + "Z" if row.sent_at else None,
        }
        for row in rows
    ]
    return _json({"items": items})


@bp.post("/outbox/<mail_id:int>/retry")
async def retry_mail(request: Request, mail_id: int) -> HTTPResponse:
    ctx = portal(request)
    # ids are 32-bit in the database: a larger number names no mail (and must not reach SQL)
    if not 0 < mail_id < 2**31 or not await ctx.db(outbox.retry, mail_id, ctx.now()):
        raise Problem(404, "Keine fehlgeschlagene Mail mit dieser Nummer. / No such failed mail.")
    ctx.wake_outbox()
    return _json({"id": mail_id, "status": "pending"})
