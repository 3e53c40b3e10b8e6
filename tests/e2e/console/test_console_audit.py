"""The access log over HTTP on the running console: every sign-in, failure, lockout, account
change, review change, list, search, view and export is in it; admins read it and export it as
CSV, reviewers cannot."""

from __future__ import annotations

import csv
import io

import pytest

from tests.e2e.console.conftest import (
    LOCKED,
    LOCKED_PASSWORD,
    REVIEWER,
    REVIEWER_PASSWORD,
    VICTIM,
    Staffed,
)
from tests.e2e.console.console_harness import ADMIN, ADMIN_PASSWORD
from tests.e2e.console.staff_http import Staff
from tests.support import localhttp

pytestmark = [pytest.mark.integration]


def log_rows(admin: Staff) -> list[dict[str, str]]:
    answer = admin.get("/admin/access-log.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"] == 'attachment; filename="access-log.csv"'
    return list(csv.DictReader(io.StringIO(answer.text)))


def test_every_staff_action_is_in_the_access_log(staffed: Staffed) -> None:
    url = staffed.url
    with localhttp.Client(timeout=15) as client:
        assert (
            client.post(f"{url}/login", data={"username": REVIEWER, "password": "nope"}).status_code
            == 401
        )
        typo = "my-secret-password-in-the-name-field"
        assert (
            client.post(f"{url}/login", data={"username": typo, "password": "x"}).status_code == 401
        )
        for _ in range(5):
            client.post(f"{url}/login", data={"username": LOCKED, "password": "wrong"})
        assert client.post(
            f"{url}/login", data={"username": LOCKED, "password": LOCKED_PASSWORD}
        ).status_code == 401  # fmt: skip
    reviewer = Staff.sign_in(url, REVIEWER, REVIEWER_PASSWORD)
    reviewer.get("/conversations")
    reviewer.get("/conversations", q="sperrmüll")
    victim = reviewer.get(f"/conversations/{VICTIM}")
    handle = victim.text.split('<code id="sender">', 1)[1].split("<", 1)[0]
    reviewer.post(f"/conversations/{handle}/status", status="reviewed")
    reviewer.post(f"/conversations/{handle}/tags", tag='=HYPERLINK("http://evil")')
    reviewer.post(f"/conversations/{handle}/tags/remove", tag="unbekannt")
    reviewer.get(f"/conversations/{handle}/export/story.yml")
    reviewer.get(f"/conversations/{handle}/export/nlu.yml")
    # reviewers cannot read or export the log
    assert reviewer.get("/admin/access-log").status_code == 403
    assert reviewer.get("/admin/access-log.csv").status_code == 403
    reviewer.post("/logout")

    admin = Staff.sign_in(url, ADMIN, ADMIN_PASSWORD)
    admin.post(
        "/admin/users", username="neu.person", password="long enough password", role="reviewer"
    )
    admin.post("/admin/users/delete", username="neu.person")
    assert admin.get("/admin/access-log").status_code == 200
    rows = log_rows(admin)
    done = {(r["username"], r["what"], r["conversation"], r["detail"]) for r in rows}
    assert (REVIEWER, "login_failed", "", "wrong") in done
    assert ("(unbekannt)", "login_failed", "", "unknown") in done
    assert all(typo not in str(r) for r in rows)  # a mistyped password never lands in the log
    assert (LOCKED, "lockout", "", "lockout") in done
    assert (LOCKED, "login_locked", "", "locked") in done
    assert (REVIEWER, "login", "", "") in done and (ADMIN, "login", "", "") in done
    assert (REVIEWER, "list", "", "page=1") in done
    assert (REVIEWER, "search", "", "q=sperrm%C3%BCll&page=1") in done
    assert (REVIEWER, "view", handle, "") in done
    assert (REVIEWER, "status", handle, "reviewed") in done
    assert (REVIEWER, "tag_add", handle, '\'=hyperlink("http://evil")') in done  # no formula
    assert (REVIEWER, "tag_remove", handle, "unbekannt") in done
    assert (REVIEWER, "export story.yml", handle, "pseudonymised") in done
    assert (REVIEWER, "export nlu.yml", handle, "pseudonymised") in done
    assert (REVIEWER, "logout", "", "") in done
    assert (ADMIN, "account_saved", "", "neu.person role=reviewer") in done
    assert (ADMIN, "account_deleted", "", "neu.person") in done
    assert (ADMIN, "access_log_view", "", "") in done
    ids = [int(r["id"]) for r in rows]
    assert ids == sorted(ids, reverse=True)  # newest first, nothing missing in between
    assert ids == list(range(ids[0], ids[0] - len(ids), -1))
    page = admin.get("/admin/access-log").text
    assert 'href="/admin/access-log.csv"' in page and "lockout" in page
