"""Service requests with history, bulky waste dates, appointment slots without double booking."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from portal_harness import PortalProcess
from test_portal_api import assert_problem

pytestmark = pytest.mark.integration  # starts the real portal process


def pickup_date(portal: PortalProcess) -> str:
    items = portal.client().get("/api/v1/bulky-waste/dates").json()["items"]
    assert items and all(item["free"] > 0 for item in items)
    return str(items[0]["date"])


def requests_of_every_type(portal: PortalProcess) -> list[dict[str, Any]]:
    return [
        {
            "type": "certificate",
            "certificate_type": "geburtsurkunde",
            "person_name": "Erika Mustermann",
            "event_date": "1990-05-17",
            "event_place": "Marburg",
            "copies": 2,
            "delivery_address": "Ketzerbach 12\n35037 Marburg",
            "fee": "18.00",
            "channel": "test",
            "conversation_id": "c-1",
        },
        {
            "type": "bulky_waste",
            "address": "Biegenstraße 3, 35037 Marburg",
            "items": ["Kleiderschrank", "Matratze"],
            "pickup_date": pickup_date(portal),
        },
        {
            "type": "issue_report",
            "category": "pothole",
            "location": "Ketzerbach 3",
            "description": "Tiefes Schlagloch vor der Einfahrt.",
            "latitude": 50.81,
            "longitude": 8.77,
        },
        {
            "type": "dog_registration",
            "owner_name": "Max Mustermann",
            "address": "Am Grün 5, 35037 Marburg",
            "dog_name": "Bello",
            "breed": "Mischling",
            "acquired_on": "2026-10-01",
        },
        {
            "type": "callback",
            "name": "Lena Becker",
            "contact": "06421 123456",
            "topic": "Frage zur Zweitwohnungsteuer",
            "conversation_id": "conv-42",
        },
    ]


def test_every_type_is_received_with_a_reference_and_history(portal: PortalProcess) -> None:
    client = portal.client()
    for body in requests_of_every_type(portal):
        created = client.post("/api/v1/service-requests", json=body)
        assert created.status_code == 201, created.text
        reference = created.json()["reference"]
        assert re.fullmatch(r"SR-20[0-9]{2}-[0-9A-Z]{4}-[0-9A-Z]{4}", reference)
        assert created.json()["status"] == "received"
        read = client.get(f"/api/v1/service-requests/{reference}").json()
        assert read["type"] == body["type"]
        assert read["status"] == "received"
        assert [h["status"] for h in read["history"]] == ["received"]
        assert read["history"][0]["at"]


def test_references_are_unique(portal: PortalProcess) -> None:
    body = requests_of_every_type(portal)[2]

    def post(_: int) -> httpx.Response:
        return portal.client().post("/api/v1/service-requests", json=body)

    with ThreadPoolExecutor(max_workers=5) as pool:
        responses = list(pool.map(post, range(10)))
    references = [r.json()["reference"] for r in responses]
    assert len(set(references)) == 10


@pytest.mark.parametrize(
    ("index", "changes", "field"),
    [
        (0, {"certificate_type": "führerschein"}, "certificate_type"),
        (0, {"copies": "2"}, "copies"),
        (0, {"copies": 0}, "copies"),
        (0, {"event_date": "2999-01-01"}, "event_date"),
        (0, {"event_date": "2026-02-30"}, "event_date"),
        (1, {"pickup_date": "2020-01-01"}, "pickup_date"),
        (1, {"items": []}, "items"),
        (2, {"latitude": "50.8"}, "latitude"),
        (2, {"latitude": 91}, "latitude"),
        (2, {"description": "x" * 2001}, "description"),
        (3, {"owner_name": " "}, "owner_name"),
        (3, {"dog_name": "Bello\u0007"}, "dog_name"),
        (4, {"conversation_id": None}, "conversation_id"),
        (4, {"extra": "field"}, "extra"),
        (4, {"type": "unknown"}, "type"),
    ],
)
def test_bad_requests_are_422(
    portal: PortalProcess, index: int, changes: dict[str, Any], field: str
) -> None:
    body = {**requests_of_every_type(portal)[index], **changes}
    problem = assert_problem(portal.client().post("/api/v1/service-requests", json=body), 422)
    assert field in problem["errors"], problem  # type: ignore[operator]


def test_missing_type_and_fields(portal: PortalProcess) -> None:
    client = portal.client()
    assert "type" in assert_problem(client.post("/api/v1/service-requests", json={}), 422)["errors"]  # type: ignore[operator]
    problem = assert_problem(
        client.post("/api/v1/service-requests", json={"type": "callback"}), 422
    )
    assert {"name", "contact", "topic"} <= problem["errors"].keys()  # type: ignore[union-attr]


def test_unknown_reference_is_404(portal: PortalProcess) -> None:
    client = portal.client()
    assert_problem(client.get("/api/v1/service-requests/SR-2026-999999"), 404)
    assert_problem(client.get("/api/v1/service-requests/nonsense"), 404)


def test_slots_are_weekday_quarter_hours_in_the_next_two_weeks(portal: PortalProcess) -> None:
    items = portal.client().get("/api/v1/appointments/slots", params={"service": "id_card"})
    slots = items.json()["items"]
    assert slots
    for slot in slots[:50]:
        assert slot["service"] == "id_card"
        assert slot["id"].startswith("id_card-")
        assert slot["start"][11:16] < slot["end"][11:16]
    assert_problem(portal.client().get("/api/v1/appointments/slots"), 422)
    bad = portal.client().get("/api/v1/appointments/slots", params={"service": "x"})
    assert_problem(bad, 422)


def test_booking_a_slot_and_no_double_booking(portal: PortalProcess) -> None:
    client = portal.client()
    slot = client.get("/api/v1/appointments/slots", params={"service": "passport"}).json()["items"][
        3
    ]
    body = {"slot_id": slot["id"], "service": "passport", "name": "Erika", "email": "e@example.org"}
    booked = client.post("/api/v1/appointments", json=body)
    assert booked.status_code == 201, booked.text
    assert booked.json()["status"] == "booked"
    assert booked.json()["start"] == slot["start"]
    assert_problem(client.post("/api/v1/appointments", json=body), 409)
    free = client.get("/api/v1/appointments/slots", params={"service": "passport"}).json()
    assert slot["id"] not in {s["id"] for s in free["items"]}


def test_concurrent_bookings_of_one_slot_give_one_appointment(portal: PortalProcess) -> None:
    slot = (
        portal.client()
        .get("/api/v1/appointments/slots", params={"service": "registration"})
        .json()["items"][5]
    )

    def book(n: int) -> int:
        body = {
            "slot_id": slot["id"],
            "service": "registration",
            "name": f"Person {n}",
            "email": f"p{n}@example.org",
        }
        return portal.client().post("/api/v1/appointments", json=body).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(book, range(8)))
    assert statuses == [201] + [409] * 7


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"slot_id": "passport-20200101T0800"}, 404),
        ({"slot_id": "nonsense"}, 404),
        ({"service": "driving_licence"}, 422),
        ({"email": "nope"}, 422),
        ({"name": ""}, 422),
        ({"extra": 1}, 422),
    ],
)
def test_bad_bookings(portal: PortalProcess, changes: dict[str, Any], status: int) -> None:
    slot = (
        portal.client()
        .get("/api/v1/appointments/slots", params={"service": "passport"})
        .json()["items"][-1]
    )
    body = {"slot_id": slot["id"], "service": "passport", "name": "Erika", "email": "e@x.org"}
    assert_problem(portal.client().post("/api/v1/appointments", json={**body, **changes}), status)
