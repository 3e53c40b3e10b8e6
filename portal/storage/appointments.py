"""Booked appointments; the unique slot id makes a double booking impossible."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from portal.storage.tables import appointments


def booked_slot_ids(conn: Connection, first: dt.datetime, last: dt.datetime) -> set[str]:
    query = sa.select(appointments.c.slot_id).where(
        appointments.c.start >= first, appointments.c.start <= last
    )
    return {str(value) for value in conn.execute(query).scalars()}


def book(
    conn: Connection,
    *,
    appointment_id: str,
    slot_id: str,
    service: str,
    start: dt.datetime,
    end: dt.datetime,
    name: str,
    email: str,
    at: dt.datetime,
) -> None:
    """Insert the booking; a slot already taken raises ``IntegrityError``."""
    conn.execute(
        appointments.insert().values(
            id=appointment_id,
            slot_id=slot_id,
            service=service,
            start=start,
            end=end,
            name=name,
            email=email,
            created_at=at,
        )
    )
