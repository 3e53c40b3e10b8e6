"""Service requests with their status history, and bulky waste pickup capacity."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from portal.storage.tables import service_request_events, service_requests


def create(conn: Connection, kind: str, payload: dict[str, Any], at: dt.datetime, note: str) -> str:
    """Store a request and its first history entry; return its reference ``SR-YYYY-NNNNNN``."""
    result = conn.execute(
        service_requests.insert().values(
            type=kind,
            status="received",
            payload=json.dumps(payload, ensure_ascii=False, sort_keys=True),
            pickup_date=_pickup_date(payload),
            conversation_id=payload.get("conversation_id"),
            channel=payload.get("channel"),
            created_at=at,
        )
    )
    request_id = int(result.inserted_primary_key[0])
    # the primary key is unique and only grows, so the reference derived from it is never reused
    reference = f"SR-{at.year}-{request_id:06d}"
    conn.execute(
        service_requests.update()
        .where(service_requests.c.id == request_id)
        .values(reference=reference)
    )
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
