"""Health, OpenAPI, auth, problem details and the invoice lookup with its throttle."""

from __future__ import annotations

import datetime as dt
import json
import re

import httpx
import pytest
from demo_dates import today
from portal_harness import ROOT, PortalProcess

from actions import portal_client
from portal import demo
from portal.app import create_app
from portal.openapi import document
from portal.settings import Settings

pytestmark = pytest.mark.integration  # starts the real portal process

REFERENCE = demo.reference_date(demo.portal_config(ROOT / "data" / "demo" / "portal.yml"))
PROTECTED = [
    ("POST", "/api/v1/invoices/lookup"),
    ("POST", "/api/v1/mandates"),
    ("GET", "/api/v1/mandates?kassenzeichen=410020260001"),
    ("GET", "/api/v1/mandates/" + "0" * 32),
    ("POST", "/api/v1/mandates/" + "0" * 32 + "/sign"),
    ("POST", "/api/v1/mandates/" + "0" * 32 + "/resend-code"),
    ("POST", "/api/v1/mandates/" + "0" * 32 + "/revoke"),
    ("GET", "/api/v1/mandates/" + "0" * 32 + "/document"),
    ("POST", "/api/v1/service-requests"),
    ("GET", "/api/v1/service-requests/SR-2026-000001"),
    ("GET", "/api/v1/bulky-waste/dates"),
    ("GET", "/api/v1/appointments/slots?service=passport"),
    ("POST", "/api/v1/appointments"),
    ("GET", "/api/v1/exports/pain.008?collection_date=2026-12-15"),
]


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    assert "Traceback" not in response.text
    return dict(body)


def test_health_and_openapi_need_no_token(portal: PortalProcess) -> None:
    anonymous = portal.client(token=None)
    assert anonymous.get("/health").json() == {"status": "ok"}
    spec = anonymous.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/mandates/{id}/sign" in spec["paths"]


def test_openapi_describes_every_route() -> None:
    app = create_app(Settings(api_token="x", db_url="sqlite://"))
    paths = document()["paths"]
    names = {"mandate_id": "id", "session_id": "id", "file_name": "file"}
    for route in app.router.routes:
        path = "/" + route.path.strip("/")
        path = re.sub(r"<(\w+):\w+>", lambda m: "{" + names.get(m[1], m[1]) + "}", path)
        assert path in paths, path
        for method in route.methods:
            assert method.lower() in paths[path], (method, path)


def test_the_portal_keeps_an_idle_connection_longer_than_the_action_server() -> None:
    """The client lets an idle connection go first: were it the portal, it could close one at
    the moment the action server sends a lookup on it, and that lookup is not retried."""
    app = create_app(Settings(api_token="x", db_url="sqlite://"))
    client_expiry = portal_client.LIMITS.keepalive_expiry
    assert client_expiry is not None
    keep_alive = app.config.KEEP_ALIVE_TIMEOUT
    assert keep_alive >= 5 * client_expiry, "a clear margin, not a coin toss at the boundary"


@pytest.mark.parametrize(("method", "path"), PROTECTED)
@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_api_routes_refuse_missing_or_wrong_token(
    portal: PortalProcess, method: str, path: str, token: str | None
) -> None:
    response = portal.client(token=token).request(method, path, json={})
    body = assert_problem(response, 401)
    assert "bearer" in response.headers["www-authenticate"].lower()
    assert body["title"] == "Unauthorized"


def app_api_routes() -> list[tuple[str, str]]:
    """Every /api/ route the app really has (placeholders filled), so that a route added later
    is tried too, not only those listed in PROTECTED."""
    app = create_app(Settings(api_token="x", db_url="sqlite://"))
    found = []
    for route in app.router.routes:
        path = "/" + route.path.strip("/")
        if path.startswith("/api/"):
            path = re.sub(r"<\w+:\w+>", "0" * 32, path)
            found += [(method, path) for method in sorted(route.methods)]
    return sorted(found)


@pytest.mark.parametrize(("method", "path"), app_api_routes())
def test_every_api_route_of_the_app_refuses_a_request_without_the_token(
    portal: PortalProcess, method: str, path: str
) -> None:
    response = portal.client(token=None).request(method, path, json={})
    assert_problem(response, 401)


def test_errors_are_problem_json(portal: PortalProcess) -> None:
    client = portal.client()
    assert_problem(client.get("/no/such/route"), 404)
    assert_problem(client.delete("/health"), 405)
    assert_problem(client.post("/api/v1/invoices/lookup", content=b'{"kassenzeichen": '), 400)
    assert_problem(client.post("/api/v1/invoices/lookup", content=b"\xff\xfe"), 400)
    assert_problem(client.post("/api/v1/invoices/lookup", content=b"NaN"), 400)
    assert_problem(client.post("/api/v1/invoices/lookup", json=[1, 2]), 422)
    big = json.dumps({"kassenzeichen": "x" * 70_000})
    assert_problem(client.post("/api/v1/invoices/lookup", content=big), 413)


def test_lookup_finds_the_invoice_in_any_notation(portal: PortalProcess) -> None:
    client = portal.client()
    for number, amount in [
        ("4100.2026.0001", "48.00"),
        ("4100 2026 0001", "48"),
        ("410020260001", "48.0"),
    ]:
        response = client.post(
            "/api/v1/invoices/lookup", json={"kassenzeichen": number, "amount": amount}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["kassenzeichen"] == "4100.2026.0001"
        assert body["amount"] == "48.00"
        assert body["currency"] == "EUR"
        # the demo dates moved by the days from the file's reference date to the load day
        loaded = dt.date.fromisoformat(body["due_date"]) - dt.date(2026, 12, 15) + REFERENCE
        assert today() - dt.timedelta(days=1) <= loaded <= today()  # a session may pass midnight
        assert body["payment_state"] in ("open", "direct_debit")
        assert "payer_name" not in body


def test_paid_invoice_says_so(portal: PortalProcess) -> None:
    response = portal.client().post(
        "/api/v1/invoices/lookup", json={"kassenzeichen": "4100.2026.0007", "amount": "126.00"}
    )
    assert response.json()["payment_state"] == "paid"


def test_unknown_number_and_wrong_amount_answer_alike(portal: PortalProcess) -> None:
    client = portal.client()
    unknown = client.post(
        "/api/v1/invoices/lookup", json={"kassenzeichen": "9999.0000.0001", "amount": "48.00"}
    )
    wrong = client.post(
        "/api/v1/invoices/lookup", json={"kassenzeichen": "4100.2026.0002", "amount": "61.00"}
    )
    assert assert_problem(unknown, 404) == assert_problem(wrong, 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kassenzeichen": "4100.2026.0001", "amount": 48}, "amount"),
        ({"kassenzeichen": "4100.2026.0001", "amount": 48.0}, "amount"),
        ({"kassenzeichen": 410020260001, "amount": "48.00"}, "kassenzeichen"),
        ({"kassenzeichen": "4100.2026.0001"}, "amount"),
        ({"kassenzeichen": "4100.2026.0001", "amount": "48.00", "x": 1}, "x"),
        ({"kassenzeichen": "4100.2026.0001", "amount": "48.001"}, "amount"),
        ({"kassenzeichen": "4100.2026.0001" + "1" * 300, "amount": "48.00"}, "kassenzeichen"),
        ({"kassenzeichen": "4100.2026.0001\n", "amount": "48.00"}, "kassenzeichen"),
        ({"kassenzeichen": "४१००.२०२६.०००१", "amount": "48.00"}, "kassenzeichen"),
        ({"kassenzeichen": None, "amount": "48.00"}, "kassenzeichen"),
        ({"kassenzeichen": "4100.2026.0001", "amount": "4\u200b8"}, "amount"),
    ],
)
def test_lookup_refuses_bad_input(portal: PortalProcess, body: object, field: str) -> None:
    response = portal.client().post("/api/v1/invoices/lookup", json=body)
    problem = assert_problem(response, 422)
    errors = problem["errors"]
    assert isinstance(errors, dict) and field in errors, errors


def test_five_failures_throttle_the_kassenzeichen(portal: PortalProcess) -> None:
    client = portal.client()
    wrong = {"kassenzeichen": "4100.2026.0009", "amount": "1.00"}
    for _ in range(5):
        assert_problem(client.post("/api/v1/invoices/lookup", json=wrong), 404)
    throttled = client.post("/api/v1/invoices/lookup", json=wrong)
    assert_problem(throttled, 429)
    assert 1 <= int(throttled.headers["retry-after"]) <= 15 * 60
    right = {"kassenzeichen": "4100.2026.0009", "amount": "66.00"}
    assert_problem(client.post("/api/v1/invoices/lookup", json=right), 429)
    other = {"kassenzeichen": "4100.2026.0002", "amount": "60.00"}
    assert client.post("/api/v1/invoices/lookup", json=other).status_code == 200
