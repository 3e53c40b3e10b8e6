"""Invoice lookup by Kassenzeichen and amount."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from sanic import Blueprint, Request
from sanic.response import HTTPResponse
from sqlalchemy.engine import Connection

from portal import schemas
from portal.http import answer, parse_body, portal
from portal.invoice_check import Match, cents, euro, match
from portal.storage import invoices
from rules import kassenzeichen as kz

bp = Blueprint("invoices", url_prefix="/api/v1/invoices")


def _lookup(
    conn: Connection, number: str, amount_cents: int, now: dt.datetime
) -> tuple[Match, str | None]:
    found = match(conn, number, amount_cents, now)
    if found.invoice is None:
        return found, None
    return found, invoices.active_mandate_id(conn, number)


@bp.post("/lookup")
async def lookup(request: Request) -> HTTPResponse:
    body = parse_body(request, schemas.InvoiceLookup)
    number = kz.validate(body.kassenzeichen)
    ctx = portal(request)
    found, mandate_id = await ctx.db(_lookup, number, cents(body.amount), ctx.now())
    invoice = found.require()
    state: Literal["open", "paid", "direct_debit"] = (
        "paid" if invoice.payment_state == "paid" else "open"
    )
    if state == "open" and mandate_id is not None:
        state = "direct_debit"
    return answer(
        schemas.Invoice(
            kassenzeichen=kz.format(invoice.kassenzeichen),
            amount=euro(invoice.amount_cents),
            currency="EUR",
            purpose=invoice.purpose,
            due_date=invoice.due_date,
            payment_state=state,
            active_mandate_id=mandate_id,
        )
    )
