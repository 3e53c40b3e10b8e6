"""What staff see of a citizen over HTTP on the running console: pseudonymised lists, search
results, conversation views and exports; an admin's reveal with a reason, logged, for this
session only and for CONSOLE_REVEAL_MINUTES (the console's clock moved by the test)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

import clock
from console.pseudonym import HANDLE_SHAPE, PLACEHOLDER, Pseudonyms
from tests.e2e.console.conftest import (
    CLEAR_VALUES,
    REVIEWER,
    REVIEWER_PASSWORD,
    SECOND_ADMIN,
    SECOND_ADMIN_PASSWORD,
    VICTIM,
    WHATSAPP_SENDER,
    Staffed,
)
from tests.e2e.console.console_harness import ADMIN, ADMIN_PASSWORD
from tests.e2e.console.staff_http import Staff

pytestmark = [pytest.mark.integration]
REASON = "Rückfrage der Bürgerin zum Sperrmüll-Antrag SR-2026-000321 (Ticket 4711)"


def handle(staffed: Staffed, sender_id: str) -> str:
    return Pseudonyms(staffed.console.env["CONSOLE_SESSION_SECRET"]).handle(sender_id)


def assert_pseudonymised(text: str) -> None:
    # A pseudonym is random hex, which may hold a postcode's digits ("35037") by chance.
    text = HANDLE_SHAPE.sub("", text)
    for value in CLEAR_VALUES:
        assert value.casefold() not in text.casefold(), value
    assert "4917612345678" not in text and WHATSAPP_SENDER not in text


def test_lists_search_views_and_exports_are_pseudonymised(staffed: Staffed) -> None:
    wa = handle(staffed, WHATSAPP_SENDER)
    for name, password in ((REVIEWER, REVIEWER_PASSWORD), (ADMIN, ADMIN_PASSWORD)):
        staff = Staff.sign_in(staffed.url, name, password)
        listing = staff.get("/conversations")
        assert listing.status_code == 200 and wa in listing.text
        assert_pseudonymised(listing.text)
        assert "[NAME_1]" in listing.text  # the first message, pseudonymised
        view = staff.get(f"/conversations/{wa}")
        assert view.status_code == 200
        assert_pseudonymised(view.text)
        # [PHONE_1] is the sender's number, which the page does not show at all
        for placeholder in ("[NAME_1]", "[EMAIL_1]", "[PHONE_2]", "[ADDRESS_1]", "[ADDRESS_2]"):
            assert placeholder in view.text, placeholder
        assert "SR-2026-000321" in view.text and "bulky_waste" in view.text  # what staff need
        # the sender id itself opens the conversation too, and shows only the pseudonym
        by_id = staff.get("/conversations/" + WHATSAPP_SENDER.replace(":", "%3A"))
        assert by_id.status_code == 200
        assert_pseudonymised(by_id.text)
        for export in ("story.yml", "nlu.yml"):
            answer = staff.get(f"/conversations/{wa}/export/{export}")
            assert answer.status_code == 200 and "[NAME_1]" in answer.text
            assert_pseudonymised(answer.text)
            assert "4917612345678" not in answer.headers["content-disposition"]
    raw = staff.get(f"/conversations/{wa}/export/raw.json")  # the admin's
    assert raw.status_code == 200
    document = json.loads(raw.text)
    assert document["conversation"] == wa and len(document["events"]) >= 8
    assert_pseudonymised(raw.text)


def test_search_works_without_revealing(staffed: Staffed) -> None:
    staff = Staff.sign_in(staffed.url, REVIEWER, REVIEWER_PASSWORD)
    wa, victim = handle(staffed, WHATSAPP_SENDER), handle(staffed, VICTIM)

    def found(**params: str) -> set[str]:
        page = staff.get("/conversations", **params)
        assert page.status_code == 200
        results = page.text.split("<tbody>", 1)[1]  # the form above echoes the query
        assert_pseudonymised(results)
        return {h for h in (wa, victim) if f">{h}</a>" in results}

    assert found(q="sperrmüll") == {wa}  # words of the conversation
    assert found(q=wa[:10]) == {wa}  # the pseudonym
    assert found(q="[EMAIL") == {wa}  # conversations where an e-mail was given
    assert found(intent="bulky_waste") == {wa}
    assert found(channel="whatsapp") == {wa}
    # the personal values themselves find nothing: search cannot confirm who wrote
    for value in ("Mustermann", "erika.mustermann@example.org", "0176 98765432", "4917612345678"):
        assert found(q=value) == set(), value
    staff.post(f"/conversations/{victim}/tags", tag="Rückfrage")
    assert found(tag="rückfrage") == {victim}


def test_an_admin_reveals_one_conversation_with_a_reason(staffed: Staffed) -> None:
    wa = handle(staffed, WHATSAPP_SENDER)
    reviewer = Staff.sign_in(staffed.url, REVIEWER, REVIEWER_PASSWORD)
    admin = Staff.sign_in(staffed.url, ADMIN, ADMIN_PASSWORD)
    other_admin = Staff.sign_in(staffed.url, SECOND_ADMIN, SECOND_ADMIN_PASSWORD)
    # reviewers can never reveal, and see no form for it
    assert reviewer.post(f"/conversations/{wa}/reveal", reason=REASON).status_code == 403
    assert "reveal-form" not in reviewer.get(f"/conversations/{wa}").text
    assert "reveal-form" in admin.get(f"/conversations/{wa}").text
    # a reason is required, at least 20 characters
    for reason in ("", "weil ich will", " " * 40):
        refused = admin.post(f"/conversations/{wa}/reveal", reason=reason)
        assert refused.status_code == 302
        assert_pseudonymised(admin.get(f"/conversations/{wa}").text)
    start = dt.datetime.now(dt.timezone.utc)
    clock.set_time(staffed.clock_file, start)
    try:
        assert admin.post(f"/conversations/{wa}/reveal", reason=REASON).status_code == 302
        shown = admin.get(f"/conversations/{wa}").text
        assert "Erika Mustermann" in shown and "erika.mustermann@example.org" in shown
        assert WHATSAPP_SENDER in shown and 'id="revealed"' in shown
        raw = admin.get(f"/conversations/{wa}/export/raw.json").text
        assert "Bahnhofstraße 12" in raw
        # only this admin's session, only this conversation
        assert_pseudonymised(other_admin.get(f"/conversations/{wa}").text)
        assert_pseudonymised(reviewer.get(f"/conversations/{wa}").text)
        assert_pseudonymised(admin.get("/conversations").text)
        # still there after 14 minutes, gone after 15
        clock.set_time(staffed.clock_file, start + dt.timedelta(minutes=14))
        assert "Erika Mustermann" in admin.get(f"/conversations/{wa}").text
        clock.set_time(staffed.clock_file, start + dt.timedelta(minutes=15, seconds=1))
        assert_pseudonymised(admin.get(f"/conversations/{wa}").text)
    finally:
        clock.real_time(staffed.clock_file)
    log = admin.get("/admin/access-log.csv").text
    reveals = [line for line in log.splitlines() if ",reveal," in line]
    assert len(reveals) == 1 and ADMIN in reveals[0] and wa in reveals[0]
    assert REASON in reveals[0]
    assert "revealed" in log  # the revealed view and export are logged as such
    # conversations appear by pseudonym; only the words staff searched for stay as typed
    assert_pseudonymised("\n".join(line for line in log.splitlines() if ",search," not in line))
    assert PLACEHOLDER.search(REASON) is None
