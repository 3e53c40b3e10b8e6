"""Service requests with their status history, and bulky waste pickup capacity."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from portal.storage.tables import service_request_events, service_requests, status_lookup_failures
from rules import request_reference

# a repeat of 35 random bits is so rare that a second one in a row means something else is wrong
_ATTEMPTS = 5


def create(conn: Connection, kind: str, payload: dict[str, Any], at: dt.datetime, note: str) -> str:
    """Store a request and its first history entry; return its reference ``SR-YYYY-XXXX-XXXX``.

    The reference is random (``rules.request_reference``), not derived from the row's number:
    one reference tells nothing about any other. A repeat hits the unique index and is drawn
    again inside a savepoint, so the transaction goes on.
    """
    values = {
        "type": kind,
        "status": "received",
        "payload": json.dumps(payload, ensure_ascii=False, sort_keys=True),
        "pickup_date": _pickup_date(payload),
        "conversation_id": payload.get("conversation_id"),
        "channel": payload.get("channel"),
        "created_at": at,
    }
    for attempt in range(_ATTEMPTS):
        reference = request_reference.generate(at.year)
        try:
            with conn.begin_nested():
                result = conn.execute(
                    service_requests.insert().values(reference=reference, **values)
                )
            break
        except IntegrityError:
            if attempt + 1 == _ATTEMPTS:
                raise
    request_id = int(result.inserted_primary_key[0])
    conn.execute(
        service_request_events.insert().values(
            request_id=request_id, status="received", at=at, note=note
        )
    )
    return reference


def _pickup_date(payload: dict[str, Any]) -> dt.date | None:
    value = payload.get("pickup_date")
    return dt.date.fromisoformat(value) if isinstance(value, str) else None


def get(conn: Connection, reference: str) -> tuple[Row, list[Row]] | None:
    row = conn.execute(
        sa.select(service_requests).where(service_requests.c.reference == reference)
    ).one_or_none()
    if row is None:
        return None
    history = conn.execute(
        sa.select(service_request_events)
        .where(service_request_events.c.request_id == row.id)
        .order_by(service_request_events.c.at, service_request_events.c.id)
    ).all()
    return row, list(history)


def record_failure(conn: Connection, reference: str, now: dt.datetime, client: str | None) -> None:
    conn.execute(
        status_lookup_failures.insert().values(reference=reference, client=client, failed_at=now)
    )


def pickups_per_day(conn: Connection, first: dt.date, last: dt.date) -> dict[dt.date, int]:
    query = (
        sa.select(service_requests.c.pickup_date, sa.func.count())
        .where(
            service_requests.c.type == "bulky_waste",
            service_requests.c.pickup_date >= first,
            service_requests.c.pickup_date <= last,
        )
        .group_by(service_requests.c.pickup_date)
    )
    return {row[0]: int(row[1]) for row in conn.execute(query)}
