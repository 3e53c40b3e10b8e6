"""The console's dashboard shows what the treasury must follow up, read from the real portal:
a mail that finally failed (recipient masked) and a debit the bank returned (reason in German),
to admins and reviewers alike; with the portal down the page still renders, with a note."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from console import accounts
from console.db import open_console_db
from devtools.processes import free_port
from tests.e2e.console.console_harness import (
    ADMIN,
    ADMIN_PASSWORD,
    Console,
    console_env,
    running_console,
)
from tests.support import localhttp
from tests.support.waiting import wait_until

# The portal engineer's harness starts the real portal and mail sink; reuse it.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "portal"))
from portal_harness import TOKEN, PortalProcess, mail_sink, portal_process
from test_portal_exports import pain002
from test_portal_mandates import create, create_and_sign, mandate_body

pytestmark = pytest.mark.integration

REVIEWER = "rudi.reviewer"
REVIEWER_PASSWORD = "reviewer-password-456"
UNREACHABLE = "Portal nicht erreichbar"


def started_console(folder: Path, **extra: str) -> Any:
    console_db = f"sqlite:///{folder / 'console.db'}"
    engine = open_console_db(console_db)
    accounts.upsert(engine, REVIEWER, REVIEWER_PASSWORD, "reviewer")
    engine.dispose()
    env = console_env(folder, f"sqlite:///{folder / 'tracker.db'}", console_db, **extra)
    return running_console(folder, env)


def dashboard(console: Console, username: str, password: str) -> str:
    """Logs in over HTTP like a form post and reads the dashboard with that session."""
    with localhttp.Client(base_url=console.url, timeout=10) as client:
        login = client.post("/login", data={"username": username, "password": password})
        assert login.status_code in (302, 303), login.text
        found = re.search(r"console_session=([^;]+)", login.headers.get("set-cookie", ""))
        assert found, login.headers
        # httpx keeps no Secure cookie over http: the session cookie is passed by hand
        page = client.get("/dashboard", headers={"Cookie": f"console_session={found[1]}"})
    assert page.status_code == 200, page.text
    return page.text


def section(page: str, element_id: str) -> str:
    found = re.search(rf'<table[^>]*id="{element_id}".*?</table>', page, re.S)
    assert found, f"no table #{element_id} on the dashboard"
    return found[0]


@dataclass
class Treasury:
    portal: PortalProcess
    returned_kassenzeichen: str
    failed_to: str


@pytest.fixture
def treasury(tmp_path: Path) -> Iterator[Treasury]:
    """A portal with one returned first debit (AM04) and one mail given up after 2 attempts."""
    smtp_port = free_port()
    with portal_process(
        f"sqlite:///{tmp_path / 'portal.db'}",
        tmp_path / "var",
        smtp_port,
        OUTBOX_RETRY_SECONDS="1",
        OUTBOX_MAX_ATTEMPTS="2",
    ) as portal:
        client = portal.client()
        with mail_sink(tmp_path / "mail", smtp_port) as sink:
            body, signed = create_and_sign(
                portal, sink, kassenzeichen="4100.2026.0004", amount="36.20"
            )
            exported = client.get(
                "/api/v1/exports/pain.008",
                params={"collection_date": signed["first_collection_date"]},
            )
            assert exported.status_code == 200, exported.text
            (end_to_end_id,) = re.findall(r"<EndToEndId>([^<]+)</EndToEndId>", exported.text)
            imported = client.post(
                "/api/v1/collections/returns", content=pain002(end_to_end_id, "AM04")
            )
            assert imported.status_code == 200 and imported.json()["matched"] == 1, imported.text
            sink.wait_for(body["email"], 3)  # code, confirmation, return notice: all delivered
        # the mail server is gone now: this code mail is given up after 2 attempts
        failing = mandate_body(email="zora.failed@example.de")
        assert create(portal, failing).status_code == 201

        def failed() -> list[dict[str, Any]]:
            answer = client.get("/api/v1/outbox", params={"status": "failed"})
            return list(answer.json()["items"])

        wait_until(failed, 30, "the code mail to be given up")
        yield Treasury(portal, "4100.2026.0004", failing["email"])


def test_staff_see_failed_mails_and_returns_on_the_dashboard(
    treasury: Treasury, tmp_path: Path
) -> None:
    folder = tmp_path / "console"
    folder.mkdir()
    with started_console(folder, PORTAL_URL=treasury.portal.url, PORTAL_API_TOKEN=TOKEN) as console:
        for username, password in [(ADMIN, ADMIN_PASSWORD), (REVIEWER, REVIEWER_PASSWORD)]:
            page = dashboard(console, username, password)
            assert UNREACHABLE not in page
            mails = section(page, "failed-mails")
            assert "z…@example.de" in mails
            assert treasury.failed_to not in page  # the address itself never appears
            assert "signing_code" in mails and "ConnectionRefusedError" in mails
            assert re.search(r"<td>2</td>", mails)  # attempts
            returns = section(page, "returns")
            assert treasury.returned_kassenzeichen in returns
            assert "AM04 Deckung unzureichend" in returns and "36.20" in returns
            assert "DE89" not in page  # no IBAN, not even masked
        # the dashboard still needs a login
        with localhttp.Client(base_url=console.url, timeout=10) as anonymous:
            assert anonymous.get("/dashboard").status_code in (302, 303)


def test_the_dashboard_renders_with_a_note_when_the_portal_is_down(tmp_path: Path) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    with started_console(tmp_path, PORTAL_URL=nobody, PORTAL_API_TOKEN=TOKEN) as console:
        page = dashboard(console, REVIEWER, REVIEWER_PASSWORD)
    assert page.count(UNREACHABLE) == 2  # failed mails and returns, each with the note
    assert 'id="n-conversations"' in page  # the statistics are still there
