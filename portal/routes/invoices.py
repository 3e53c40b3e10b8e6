"""Invoice lookup by Kassenzeichen and amount."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from sanic import Blueprint, Request
from sanic.response import HTTPResponse
from sqlalchemy.engine import Connection

from portal import limits, schemas
from portal.http import answer, parse_body, portal
from portal.invoice_check import Match, cents, euro, match
from portal.storage import invoices
from rules import kassenzeichen as kz

bp = Blueprint("invoices", url_prefix="/api/v1/invoices")


def _lookup(
    conn: Connection,
    number: str,
    amount_cents: int,
    now: dt.datetime,
    rules: limits.Limits,
    client: limits.Client | None,
) -> tuple[Match, str | None, bool]:
    """The match, the invoice's active mandate, and whether a direct debit still collects it."""
    found = match(conn, number, amount_cents, now, rules, client)
    if found.invoice is None:
        return found, None, False
    mandate_id = invoices.active_mandate_id(conn, number)
    debiting = mandate_id is not None and invoices.debit_under_way(conn, found.invoice.id)
    return found, mandate_id, debiting


@bp.post("/lookup")
async def lookup(request: Request) -> HTTPResponse:
    body = parse_body(request, schemas.InvoiceLookup)
    number = kz.validate(body.kassenzeichen)
    ctx = portal(request)
    client = limits.client_from(request, ctx.client_mac_key)
    found, mandate_id, debiting = await ctx.db(
        _lookup, number, cents(body.amount), ctx.now(), ctx.lookup_limits, client
    )
    invoice = found.require()
    state: Literal["open", "paid", "direct_debit"] = (
        "paid" if invoice.payment_state == "paid" else "open"
    )
    if state == "open" and debiting:
        # Not merely "a mandate is active": when every collection came back, the citizen must
        # pay another way and must not be told that the amount will be debited.
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
