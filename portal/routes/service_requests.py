"""Service requests (certificates, bulky waste, issue reports, dog registration, callbacks)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse
from sqlalchemy.engine import Connection

from portal import calendar, schemas
from portal.http import answer, parse_body, portal, utc
from portal.problems import Problem, validation_problem
from portal.storage import service_requests as store

bp = Blueprint("service_requests", url_prefix="/api/v1")

_REFERENCE = re.compile(r"SR-[0-9]{4}-[0-9]{6}")
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
    conn: Connection, payload: dict[str, Any], config: dict[str, Any], now: dt.datetime
) -> str | Problem:
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
    result = await ctx.db(_create, payload, ctx.calendar["bulky_waste"], now)
    if isinstance(result, Problem):
        raise result
    return answer(schemas.ServiceRequestCreated(reference=result, status="received"), 201)


@bp.get("/service-requests/<reference:str>")
async def read(request: Request, reference: str) -> HTTPResponse:
    found = None
    if _REFERENCE.fullmatch(reference):
        found = await portal(request).db(store.get, reference)
    if found is None:
        raise Problem(404, "Dieses Anliegen gibt es nicht. / No such service request.")
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


@bp.get("/bulky-waste/dates")
async def pickup_dates(request: Request) -> HTTPResponse:
    ctx = portal(request)
    days = await ctx.db(_free_days, ctx.calendar["bulky_waste"], ctx.now().date())
    return answer(
        schemas.PickupDates(items=[schemas.PickupDate(date=day, free=free) for day, free in days])
    )
