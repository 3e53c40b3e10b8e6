"""Code expiry and resend, and a code mail that waits in the outbox for the mail server.

These tests run in file order on one portal with its own mail sink, which the last test stops.
The portal reads the time from a clock file of its own (`BUERGERBOT_CLOCK_FILE`): a code's
lifetime passes by moving that clock, not by waiting it out.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from portal_harness import MailSink, PortalProcess, database, mail_sink, portal_process, stop
from test_portal_api import assert_problem
from test_portal_mandates import create, mandate_body

import clock
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration  # starts the real portal process

TTL = 15 * 60  # seconds a signing code lives (the default lifetime, set here to be sure)


def clock_file(portal: PortalProcess) -> Path:
    return portal.var_dir.parent / "clock"


@pytest.fixture(scope="module")
def own_sink(db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailSink]:
    # one per database kind: the last test of each run stops it
    with mail_sink(tmp_path_factory.mktemp(f"expiry-mail-{db_kind}")) as running:
        yield running


@pytest.fixture(scope="module")
def short_lived(
    db_kind: str, own_sink: MailSink, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PortalProcess]:
    folder: Path = tmp_path_factory.mktemp(f"expiry-{db_kind}")
    with (
        database(db_kind, folder) as url,
        portal_process(
            url,
            folder / "var",
            own_sink.port,
            PORTAL_CODE_TTL_SECONDS=str(TTL),
            OUTBOX_RETRY_SECONDS="1",
            **{clock.FILE_SETTING: str(folder / "clock")},
        ) as run,
    ):
        yield run


def test_expired_code_is_refused_and_a_new_one_works(
    short_lived: PortalProcess, own_sink: MailSink
) -> None:
    sink = own_sink
    body = mandate_body()
    start = datetime.now(timezone.utc).replace(microsecond=0)
    clock.set_time(clock_file(short_lived), start)
    try:
        mandate_id = create(short_lived, body).json()["id"]
        code = sink.code_for(body["email"])
        clock.set_time(clock_file(short_lived), start + timedelta(seconds=TTL + 1))
        sign_after_expiry(short_lived, sink, mandate_id, code, body["email"])
    finally:
        clock.real_time(clock_file(short_lived))  # the outbox test below runs on real time


def sign_after_expiry(
    short_lived: PortalProcess, sink: MailSink, mandate_id: str, code: str, email: str
) -> None:
    client = short_lived.client()
    problem = assert_problem(
        client.post(f"/api/v1/mandates/{mandate_id}/sign", json={"code": code}), 422
    )
    assert problem["code_expired"] is True
    assert "code" in problem["errors"]  # type: ignore[operator]
    resent = client.post(f"/api/v1/mandates/{mandate_id}/resend-code")
    assert resent.status_code == 200, resent.text
    new_code = sink.code_for(email, 2)
    if new_code != code:
        old = client.post(f"/api/v1/mandates/{mandate_id}/sign", json={"code": code})
        assert assert_problem(old, 422)["attempts_left"] == 2
    signed = client.post(f"/api/v1/mandates/{mandate_id}/sign", json={"code": new_code})
    assert signed.status_code == 200, signed.text
    assert signed.json()["status"] == "active"


def test_code_mail_waits_in_the_outbox_until_the_mail_server_is_back(
    short_lived: PortalProcess, own_sink: MailSink, tmp_path: Path
) -> None:
    stop(own_sink.process)  # from here on this portal's mail server refuses connections
    key = {"Idempotency-Key": "k-" + uuid.uuid4().hex}
    body = mandate_body(kassenzeichen="4100.2026.0002", amount="60.00")
    client = short_lived.client()
    created = client.post("/api/v1/mandates", json=body, headers=key)
    # the mandate and its code mail are one transaction: the answer does not wait for SMTP
    assert created.status_code == 201, created.text
    mandate_id = created.json()["id"]

    def attempted() -> dict[str, object] | None:
        items = client.get("/api/v1/outbox", params={"status": "pending"}).json()["items"]
        mine = [m for m in items if m["mandate_id"] == mandate_id and m["attempts"] >= 1]
        return mine[0] if mine else None

    mail = wait_until(attempted, 30, "a failed attempt to mail the code")
    assert mail["kind"] == "signing_code" and mail["last_error"]
    # a retry with the same key is a replay: the mandate exists, nothing new is made
    again = client.post("/api/v1/mandates", json=body, headers=key)
    assert again.status_code == 201 and again.json()["id"] == mandate_id
    with mail_sink(tmp_path / "mail", own_sink.port) as back:
        # delivered by a later attempt (the pause doubles: allow for a few of them)
        wait_until(lambda: back.to(body["email"]), 60, "the code mail, delivered late")
        code = back.code_for(body["email"])
    signed = client.post(f"/api/v1/mandates/{mandate_id}/sign", json={"code": code})
    assert signed.status_code == 200, signed.text
    sent = client.get("/api/v1/outbox", params={"status": "sent"}).json()["items"]
    assert any(m["mandate_id"] == mandate_id and m["attempts"] >= 2 for m in sent)
