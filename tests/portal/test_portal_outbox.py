"""The outbox with a mail server that is slow: requests never wait for it, the mail arrives
later, nothing is deleted, and a mail that finally fails is listed for staff."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from portal_harness import PortalProcess, database, mail_sink, portal_process
from test_portal_mandates import create, mandate_body

from devtools.processes import free_port
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration  # starts the real portal process


class StallingServer:
    """Accepts SMTP connections and never says a word: the portal's SMTP timeout runs out."""

    def __init__(self, port: int) -> None:
        self.listener = socket.create_server(("127.0.0.1", port))
        self.listener.settimeout(0.2)
        self.accepted: list[socket.socket] = []
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                continue
            self.accepted.append(connection)

    def close(self) -> None:
        self.running = False
        self.thread.join(timeout=5)
        for connection in self.accepted:
            connection.close()
        self.listener.close()


@contextmanager
def portal_without_mail(
    db_kind: str, folder: Path, attempts: int
) -> Iterator[tuple[PortalProcess, int]]:
    """A portal whose mail server port has nobody listening (yet)."""
    port = free_port()
    with (
        database(db_kind, folder) as url,
        portal_process(
            url,
            folder / "var",
            port,
            OUTBOX_RETRY_SECONDS="1",
            OUTBOX_MAX_ATTEMPTS=str(attempts),
        ) as run,
    ):
        yield run, port


@pytest.fixture
def slow_mail(db_kind: str, tmp_path: Path) -> Iterator[tuple[PortalProcess, int]]:
    # enough attempts (pauses 1, 2, 4, 8, … s) to outlast a mail server's slow restart
    with portal_without_mail(db_kind, tmp_path, attempts=10) as running:
        yield running


@pytest.fixture
def no_mail(db_kind: str, tmp_path: Path) -> Iterator[tuple[PortalProcess, int]]:
    with portal_without_mail(db_kind, tmp_path, attempts=4) as running:
        yield running


def mails(portal: PortalProcess, status: str) -> list[dict[str, Any]]:
    response = portal.client().get("/api/v1/outbox", params={"status": status})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_a_slow_mail_server_delays_the_mail_not_the_answer(
    slow_mail: tuple[PortalProcess, int], tmp_path: Path
) -> None:
    portal, port = slow_mail
    stalling = StallingServer(port)
    try:
        body = mandate_body()
        started = time.monotonic()
        created = create(portal, body)
        assert created.status_code == 201, created.text
        assert time.monotonic() - started < 5  # the SMTP timeout alone is 10 seconds
        mandate_id = created.json()["id"]
        wait_until(lambda: stalling.accepted, 20, "the worker's SMTP connection")
    finally:
        stalling.close()
    with mail_sink(tmp_path / "mail", port) as sink:
        # a later attempt delivers it (the pause doubles: allow for a few of them)
        wait_until(lambda: sink.to(body["email"]), 60, "the code mail, delivered late")
        assert sink.code_for(body["email"])
    sent = [m for m in mails(portal, "sent") if m["mandate_id"] == mandate_id]
    assert len(sent) == 1 and sent[0]["attempts"] >= 2
    assert stored_body(portal, sent[0]["id"]) == ("", None)  # the code no longer in the table


def stored_body(portal: PortalProcess, mail_id: int) -> tuple[str, bytes | None]:
    engine = sa.create_engine(portal.db_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                sa.text("SELECT body, attachment FROM outbox WHERE id = :id"), {"id": mail_id}
            ).one()
    finally:
        engine.dispose()
    return str(row.body), row.attachment


def test_a_mail_that_never_goes_out_is_listed_as_failed_and_can_be_retried(
    no_mail: tuple[PortalProcess, int], tmp_path: Path
) -> None:
    portal, port = no_mail  # nothing listens on the port: every attempt is refused
    body = mandate_body()
    mandate_id = create(portal, body).json()["id"]

    def failed() -> list[dict[str, Any]]:
        return [m for m in mails(portal, "failed") if m["mandate_id"] == mandate_id]

    (mail,) = wait_until(failed, 40, "the mail to be given up after 4 attempts")
    assert mail["attempts"] == 4 and mail["kind"] == "signing_code" and mail["last_error"]
    with mail_sink(tmp_path / "mail", port) as back:
        retried = portal.client().post(f"/api/v1/outbox/{mail['id']}/retry")
        assert retried.status_code == 200, retried.text
        assert back.code_for(body["email"])
    assert [m["id"] for m in mails(portal, "sent") if m["mandate_id"] == mandate_id] == [mail["id"]]
