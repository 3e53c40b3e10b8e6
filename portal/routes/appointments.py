"""Stadtbüro appointments: free slots and booking (no double booking)."""

from __future__ import annotations

import datetime as dt
import uuid

from sanic import Blueprint, Request
from sanic.response import HTTPResponse
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from portal import calendar, schemas
from portal.http import answer, parse_body, portal
from portal.problems import Problem, validation_problem
from portal.storage import appointments as store
from rules import email as email_rules

bp = Blueprint("appointments", url_prefix="/api/v1/appointments")
SERVICES = ("id_card", "passport", "registration")


def _naive_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _free(conn: Connection, all_slots: list[calendar.Slot]) -> list[calendar.Slot]:
    if not all_slots:
        return []
    taken = store.booked_slot_ids(
        conn, _naive_utc(all_slots[0].start), _naive_utc(all_slots[-1].start)
    )
    return [slot for slot in all_slots if slot.id not in taken]


@bp.get("/slots")
async def free_slots(request: Request) -> HTTPResponse:
    service = request.args.get("service", "")
    if service not in SERVICES:
        raise validation_problem({"service": "id_card, passport oder/or registration"})
    ctx = portal(request)
    now = ctx.clock.now()
    free = await ctx.db(_free, calendar.slots(ctx.calendar["appointments"], service, now))
    return answer(
        schemas.SlotList(
            items=[schemas.Slot(id=s.id, start=s.start, end=s.end, service=s.service) for s in free]
        )
    )


@bp.post("")
async def book(request: Request) -> HTTPResponse:
    body = parse_body(request, schemas.AppointmentCreate)
    try:
        email = email_rules.validate(body.email)
    except ValueError as exc:
        raise validation_problem({"email": str(exc)}) from exc
    ctx = portal(request)
    now = ctx.clock.now()
    offered = {s.id: s for s in calendar.slots(ctx.calendar["appointments"], body.service, now)}
    slot = offered.get(body.slot_id)
    if slot is None:
        raise Problem(404, "Diesen freien Termin gibt es nicht. / No such slot for this service.")
    appointment_id = uuid.uuid4().hex
    try:
        await ctx.db(
            lambda conn: store.book(
                conn,
                appointment_id=appointment_id,
                slot_id=slot.id,
                service=slot.service,
                start=_naive_utc(slot.start),
                end=_naive_utc(slot.end),
                name=body.name.strip(),
                email=email,
                at=ctx.now(),
            )
        )
    except IntegrityError as exc:
        raise Problem(
            409, "Dieser Termin ist schon vergeben. / This slot is already taken."
        ) from exc
    return answer(
        schemas.Appointment(
            id=appointment_id,
            slot_id=slot.id,
            service=slot.service,
            start=slot.start,
            end=slot.end,
            status="booked",
        ),
        201,
    )
