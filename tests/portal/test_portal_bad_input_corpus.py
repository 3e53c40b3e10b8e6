"""Bad input on every route of the running portal: no 5xx, no stack trace, nothing stored.

Every route the app's router has (public and /api/, a route added later included) gets an empty
body, 1 MB, binary, deeply nested JSON, HTML and script, SQL, JSON of the wrong types, hostile
path and query values, and a wrong token. The portal runs on its own database here, so the row
count of every table before and after proves that nothing was stored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from portal_harness import TOKEN, MailSink, PortalProcess, portal_process

from portal.app import create_app
from portal.settings import Settings
from portal.storage.tables import metadata
from tests.support import localhttp

pytestmark = pytest.mark.integration  # starts the real portal process

SQL = "'; DROP TABLE invoices; --"
SCRIPT = "<script>alert(1)</script><img src=x onerror=alert(1)>"
BODIES: dict[str, bytes] = {
    "empty": b"",
    "1 MB": b'{"kassenzeichen": "' + b"4" * (1024 * 1024) + b'"}',
    "binary": bytes(range(256)) * 16,
    "not UTF-8": b'{"kassenzeichen": "\xff\xfe"}',
    # the deep-JSON fix itself is proven in test_portal_deep_json.py on every POST route
    "deeply nested JSON": b"[" * 5000 + b"]" * 5000,
    "HTML and script": json.dumps(
        {key: SCRIPT for key in ("kassenzeichen", "amount", "reference", "email", "code", "type")}
    ).encode(),
    "SQL": json.dumps(
        {key: SQL for key in ("kassenzeichen", "amount", "reference", "email", "code", "type")}
    ).encode(),
    "wrong types": json.dumps(
        {"kassenzeichen": 410020260001, "amount": 48.0, "reference": [], "email": {}, "code": True}
    ).encode(),
    "a list": b"[1, 2, 3]",
    "null": b"null",
    "NaN": b'{"amount": NaN}',
}
QUERY = {
    "kassenzeichen": SQL,
    "collection_date": SCRIPT,
    "service": "../../etc/passwd",
    "status": SQL,
}


def routes() -> list[tuple[str, str]]:
    """Every route of the app, path parameters filled with hostile but routable values."""
    app = create_app(Settings(api_token="x", db_url="sqlite://"))
    found = []
    for route in app.router.routes:
        path = "/" + route.path.strip("/")
        path = re.sub(r"<\w+:int>", "1", path)
        path = re.sub(r"<\w+:\w+>", "%27%3B%20DROP%20TABLE%20mandates%3B--", path)
        found += [(method, path) for method in sorted(route.methods)]
    return sorted(found)


ROUTES = routes()


@pytest.fixture(scope="module")
def own_portal(sink: MailSink, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalProcess]:
    folder: Path = tmp_path_factory.mktemp("portal-bad-input")
    with portal_process(f"sqlite:///{folder / 'portal.db'}", folder / "var", sink.port) as run:
        yield run


def row_counts(portal: PortalProcess) -> dict[str, int]:
    engine = sa.create_engine(portal.db_url)
    try:
        with engine.connect() as conn:
            return {
                table.name: int(
                    conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                )
                for table in metadata.sorted_tables
            }
    finally:
        engine.dispose()


def check(response: httpx.Response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"
    assert "Traceback" not in response.text, what
    assert 'File "' not in response.text, what
    if response.status_code >= 400 and response.request.url.path.startswith("/api/"):
        assert response.headers["content-type"].startswith("application/problem+json"), what


def test_every_route_is_tried() -> None:
    paths = {path for _method, path in ROUTES}
    assert "/api/v1/invoices/lookup" in paths and "/api/v1/service-requests/lookup" in paths
    assert any(path.startswith("/documents/") for path in paths) and len(ROUTES) >= 25


def test_bad_input_on_every_route_is_refused_and_nothing_is_stored(
    own_portal: PortalProcess,
) -> None:
    before = row_counts(own_portal)
    with localhttp.Client(base_url=own_portal.url, timeout=30) as client:
        for method, path in ROUTES:
            for token in (TOKEN, "wrong-token"):
                headers = {
                    "Authorization": f"Bearer {token}",
                    "Idempotency-Key": SCRIPT[:40],
                    # one connection per request: after a refused 1 MB body the server may
                    # close a connection the client would otherwise reuse
                    "Connection": "close",
                }
                for name, body in BODIES.items():
                    what = f"{method} {path} with {name} (token {token[:5]})"
                    try:
                        response = client.request(
                            method,
                            path,
                            content=body,
                            headers={**headers, "Content-Type": "application/json"},
                        )
                    except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError):
                        # over the size limit the portal may answer 413 and close the socket
                        # before the client has sent everything: refused, and it lives on
                        assert name == "1 MB", what
                        assert client.get("/health").status_code == 200, what
                        continue
                    if name == "1 MB" and method != "GET":  # a GET's body is not read
                        # refused for its size, or for the wrong token before it is read
                        assert response.status_code in (413, 401 if token != TOKEN else 413), what
                    check(response, what)
                    if token != TOKEN and path.startswith("/api/"):
                        assert response.status_code == 401, what
                check(
                    client.request(method, path, params=QUERY, headers=headers),
                    f"{method} {path} with hostile query (token {token[:5]})",
                )
    # misses of lookups are counted (lookup_failures), but no input above reached a lookup
    assert row_counts(own_portal) == before


def test_hostile_client_headers_are_refused(own_portal: PortalProcess) -> None:
    with localhttp.Client(base_url=own_portal.url, timeout=30) as client:
        for value in ("%00", "%ff", "a" * 5000, "%3Cscript%3E" * 50, SQL.replace(" ", "%20")):
            response = client.post(
                "/api/v1/invoices/lookup",
                json={"kassenzeichen": "4100.2026.0001", "amount": "48.00"},
                headers={"Authorization": f"Bearer {TOKEN}", "X-Client-Id": value},
            )
            check(response, f"X-Client-Id {value[:20]}")
            assert response.status_code in (200, 400), response.text
