"""Deeply nested JSON to every route of the running portal that takes a body: a clear 400.

``json.loads`` overflows Python's stack at about a thousand levels of ``[``; before the fix the
portal answered 500. Every POST route the app's router has is tried, so a route added later is
tried too.
"""

from __future__ import annotations

import pytest
from portal_harness import PortalProcess
from test_portal_api import app_api_routes, assert_problem

pytestmark = pytest.mark.integration  # starts the real portal process

# These read an XML file or query parameters, not JSON: any clear 4xx, never a 5xx.
NOT_JSON = {"/api/v1/collections/returns", "/api/v1/exports/batches"}
BODY_ROUTES = [(m, p) for m, p in app_api_routes() if m in ("POST", "PUT", "PATCH")]
HOSTILE = {
    "10 000 levels of [": "[" * 10_000 + "]" * 10_000,
    "900 levels of objects": '{"a":' * 900 + "1" + "}" * 900,
    "40 levels inside a field": '{"kassenzeichen": ' + "[" * 40 + "]" * 40 + "}",
}


def test_the_routes_are_found() -> None:
    assert ("POST", "/api/v1/mandates") in BODY_ROUTES and len(BODY_ROUTES) >= 5


@pytest.mark.parametrize("body", sorted(HOSTILE))
@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
def test_deeply_nested_json_is_a_clear_400(
    portal: PortalProcess, method: str, path: str, body: str
) -> None:
    response = portal.client().request(
        method,
        path,
        content=HOSTILE[body].encode(),
        headers={"Content-Type": "application/json", "Idempotency-Key": "deep-json-test"},
    )
    if path in NOT_JSON:
        assert 400 <= response.status_code < 500
        assert_problem(response, response.status_code)
        return
    if response.status_code == 404:  # the route looked its object up first: nothing to parse
        assert_problem(response, 404)
        return
    problem = assert_problem(response, 400)
    assert "JSON" in str(problem["detail"])
