"""Service requests (certificates, bulky waste, issue reports, dog registration, callbacks).

A request's status is told to the citizen who filed it only: the conversation that filed it
(the action server names it in ``X-Client-Id``), or whoever gives a second fact given at filing
(``portal/request_facts.py``). Anyone else gets the one answer an unknown reference gets, and
the miss counts toward the limits per reference and per client (``portal/limits.py``). A call
without ``X-Client-Id`` is the back office's, with the bearer token only, and sees every request.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse
from sqlalchemy.engine import Connection, Row

from portal import calendar, limits, request_facts, schemas, signing
from portal.context import Portal
from portal.http import answer, parse_body, portal, utc
from portal.problems import Problem, validation_problem
from portal.storage import service_requests as store
from portal.storage.tables import status_lookup_failures
from rules import request_reference

bp = Blueprint("service_requests", url_prefix="/api/v1")

_REFERENCE = re.compile(request_reference.PATTERN)
# one answer for an unknown reference and for one that is not this citizen's
_NO_ANSWER = (
    "Zu dieser Vorgangsnummer kann keine Auskunft gegeben werden."
    " / No request with this reference can be shown."
)
_NOT_IN_FUTURE = {"certificate": "event_date", "dog_registration": "acquired_on"}


def _free_days(
    conn: Connection, config: dict[str, Any], today: dt.date
) -> list[tuple[dt.date, int]]:
    days = calendar.pickup_days(config, today)
    if not days:
        return []
    taken = store.pickups_per_day(conn, days[0], days[-1])
    per_day = int(config["per_day"])
    return [(day, per_day - taken.get(day, 0)) for day in days if taken.get(day, 0) < per_day]


def _create(
    conn: Connection,
    payload: dict[str, Any],
    config: dict[str, Any],
    now: dt.datetime,
    login: Callable[[Connection], None],
) -> str | Problem:
    login(conn)
    if payload["type"] == "bulky_waste":
        pickup = dt.date.fromisoformat(payload["pickup_date"])
        if pickup not in calendar.pickup_days(config, now.date()):
            return validation_problem(
                {"pickup_date": "kein Abholtag / not a pickup day (GET /api/v1/bulky-waste/dates)"}
            )
        if pickup not in dict(_free_days(conn, config, now.date())):
            return Problem(409, "Dieser Abholtag ist ausgebucht. / This pickup day is full.")
    channel = payload.get("channel") or "unbekannt"
    return store.create(conn, payload["type"], payload, now, f"eingegangen über {channel}")


@bp.post("/service-requests")
async def create(request: Request) -> HTTPResponse:
    item = parse_body(request, schemas.ServiceRequestCreate).__root__
    payload = item.dict(exclude_none=True)
    ctx = portal(request)
    now = ctx.now()
    field = _NOT_IN_FUTURE.get(payload["type"])
    if field and dt.date.fromisoformat(payload[field]) > now.date():
        raise validation_problem({field: "liegt in der Zukunft / is in the future"})
    result = await ctx.db(
        _create, payload, ctx.calendar["bulky_waste"], now, _login_check(request, ctx, payload)
    )
    if isinstance(result, Problem):
        raise result
    return answer(schemas.ServiceRequestCreated(reference=result, status="received"), 201)


def _login_check(
    request: Request, ctx: Portal, payload: dict[str, Any]
) -> Callable[[Connection], None]:
    """What a request needs of a BundID / Servicekonto login before it is filed: a civil-status
    certificate names a person's civil status, so where the city's policy (data/signing.yml,
    order_certificate) asks for a login, a completed signing session of this conversation at
    that level is used up in the filing's transaction (a refused filing leaves it unused)."""
    session_id = payload.get("signing_session_id")
    if payload["type"] != "certificate":
        if session_id is not None:
            raise validation_problem(
                {"signing_session_id": "nur für Urkunden / only for certificate orders"}
            )
        return lambda _conn: None
    signing_: signing.Signing = request.app.ctx.signing

    def check(conn: Connection) -> None:
        signing.require_session(
            ctx,
            conn,
            signing_,
            session_id,
            "order_certificate",
            conversation_id=payload.get("conversation_id"),
        )

    return check


def _status(
    conn: Connection,
    reference: str,
    client: limits.Client | None,
    fact: str | None,
    rules: limits.Limits,
    now: dt.datetime,
) -> tuple[Row, list[Row]] | Problem:
    """The request when this caller may see it, else the problem to answer (after commit)."""
    wait = limits.client_wait(conn, client, rules, now)
    if wait is not None:
        return limits.too_many("client", wait)
    found = store.get(conn, reference)
    if found is not None and client is not None and client.owns(*_filed_by(found[0])):
        return found
    wait = limits.subject_wait(
        conn, status_lookup_failures, "reference", reference, rules.per_reference, rules, now
    )
    if wait is not None:
        return limits.too_many("reference", wait)
    if found is not None and fact and request_facts.matches(json.loads(found[0].payload), fact):
        return found
    store.record_failure(conn, reference, now, None if client is None else client.key)
    return Problem(404, _NO_ANSWER, slug="service-request-not-found")


def _filed_by(row: Row) -> tuple[str | None, str | None]:
    return row.conversation_id, row.channel


def _answer(found: tuple[Row, list[Row]]) -> HTTPResponse:
    row, history = found
    return answer(
        schemas.ServiceRequest(
            reference=row.reference,
            type=row.type,
            status=row.status,
            created_at=utc(row.created_at),
            history=[
                schemas.HistoryEntry(status=h.status, at=utc(h.at), note=h.note) for h in history
            ],
        )
    )


@bp.get("/service-requests/<reference:str>")
async def read(request: Request, reference: str) -> HTTPResponse:
    ctx = portal(request)
    client = limits.client_from(request, ctx.client_mac_key)
    if not _REFERENCE.fullmatch(reference):
        raise Problem(404, _NO_ANSWER, slug="service-request-not-found")
    if client is None:
        # the back office (bearer token, no citizen named): every request
        found = await ctx.db(store.get, reference)
        if found is None:
            raise Problem(404, _NO_ANSWER, slug="service-request-not-found")
        return _answer(found)
    outcome = await ctx.db(_status, reference, client, None, ctx.lookup_limits, ctx.now())
    if isinstance(outcome, Problem):
        raise outcome
    return _answer(outcome)


@bp.post("/service-requests/lookup")
async def lookup(request: Request) -> HTTPResponse:
    body = parse_body(request, schemas.StatusLookup)
    ctx = portal(request)
    client = limits.client_from(request, ctx.client_mac_key)
    try:
        reference = request_reference.validate(body.reference)
    except request_reference.RequestReferenceError as exc:
        raise validation_problem({"reference": f"{exc} ({exc.code})"}) from exc
    outcome = await ctx.db(
        _status, reference, client, body.second_fact, ctx.lookup_limits, ctx.now()
    )
    if isinstance(outcome, Problem):
        raise outcome
    return _answer(outcome)


@bp.get("/bulky-waste/dates")
async def pickup_dates(request: Request) -> HTTPResponse:
    ctx = portal(request)
    days = await ctx.db(_free_days, ctx.calendar["bulky_waste"], ctx.now().date())
    return answer(
        schemas.PickupDates(items=[schemas.PickupDate(date=day, free=free) for day, free in days])
    )
