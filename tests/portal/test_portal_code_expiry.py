"""Code expiry and resend, and a mandate whose code cannot be mailed (no half-made state)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from portal_harness import MailSink, PortalProcess, database, free_port, portal_process
from test_portal_api import assert_problem
from test_portal_mandates import create, mandate_body


@pytest.fixture(scope="module")
def short_lived(
    db_kind: str, sink: MailSink, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PortalProcess]:
    folder: Path = tmp_path_factory.mktemp(f"expiry-{db_kind}")
    with (
        database(db_kind, folder) as url,
        portal_process(url, folder / "var", sink.port, PORTAL_CODE_TTL_SECONDS="1") as run,
    ):
        yield run


def test_expired_code_is_refused_and_a_new_one_works(
    short_lived: PortalProcess, sink: MailSink
) -> None:
    body = mandate_body()
    mandate_id = create(short_lived, body).json()["id"]
    code = sink.code_for(body["email"])
    time.sleep(2.1)  # the code lives one second; nothing to poll for
    client = short_lived.client()
    problem = assert_problem(
        client.post(f"/api/v1/mandates/{mandate_id}/sign", json={"code": code}), 422
    )
    assert problem["code_expired"] is True
    assert "code" in problem["errors"]  # type: ignore[operator]
    resent = client.post(f"/api/v1/mandates/{mandate_id}/resend-code")
    assert resent.status_code == 200, resent.text
    new_code = sink.code_for(body["email"], 2)
    signed = client.post(f"/api/v1/mandates/{mandate_id}/sign", json={"code": new_code})
    # the new code also lives one second: either it was in time, or it expired; never 5xx
    assert signed.status_code in (200, 422), signed.text


def test_code_that_cannot_be_mailed_leaves_nothing_behind(db_kind: str, tmp_path: Path) -> None:
    closed_port = free_port()
    with (
        database(db_kind, tmp_path) as url,
        portal_process(url, tmp_path / "var", closed_port) as run,
    ):
        key = {"Idempotency-Key": "k-" + db_kind}
        body = mandate_body()
        failed = run.client().post("/api/v1/mandates", json=body, headers=key)
        assert_problem(failed, 503)
        listed = run.client().get("/api/v1/mandates", params={"kassenzeichen": "410020260001"})
        assert listed.json() == {"items": []}
        assert "Traceback" not in failed.text
