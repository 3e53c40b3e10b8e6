"""A reviewer tries every admin route of the console's router, in every spelling the router
might accept, against the running console over HTTP: each answer is a refusal and nothing
changes (the conversation stays, no account is made or deleted, nothing is revealed)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from console import tracker
from console.db import engine_for
from tests.console.test_console_routes import ADMIN_ROUTES, console_app
from tests.e2e.console.conftest import (
    REVIEWER,
    REVIEWER_PASSWORD,
    SECOND_ADMIN,
    VICTIM,
    Staffed,
)
from tests.e2e.console.console_harness import ADMIN, ADMIN_PASSWORD
from tests.e2e.console.staff_http import Staff

pytestmark = [pytest.mark.integration]

# 0: the HTTP parser dropped the request unanswered (nothing reached a handler)
REFUSED = {0, 400, 401, 403, 404, 405}
FORM = (
    "username=intruder&password=intruder-password-123&role=admin&tag=x"
    "&reason=Ich+will+das+einfach+mal+sehen+bitte"
)


def admin_routes() -> list[tuple[str, str]]:
    """(method, path) of every admin route, its parameters filled with the victim's id."""
    app = console_app()
    found = []
    for route in app.router.routes:
        if route.name.removeprefix(app.name + ".") not in ADMIN_ROUTES:
            continue
        path = "/" + re.sub(r"<sender_id:str>", VICTIM, route.path)
        found += [(method, path) for method in sorted(route.methods)]
    assert len(found) == len(ADMIN_ROUTES)
    return found


def _encode_first_letter(segment: str) -> str:
    for index, char in enumerate(segment):
        if char.isalpha():
            return f"{segment[:index]}%{ord(char):02x}{segment[index + 1 :]}"
    return segment


def spellings(path: str) -> Iterator[str]:
    """The path as written, and every variation a router or a proxy might take for it."""
    segments = path.strip("/").split("/")
    yield path
    yield path + "/"
    yield path + "//"
    yield "/" + path
    yield path.replace("/", "//")
    yield path + "/."
    yield path + "%2f"
    yield path + "%20"
    yield path + "."
    yield path.upper()
    yield path.replace(segments[-1], segments[-1].capitalize())
    yield path + ";x=1"
    yield path + "?"
    yield path + "?/health"
    yield path + "?csrf=x&next=/"
    yield path + "#frag"
    yield path.replace("\u002f", "\\")
    for index in range(len(segments)):
        changed = list(segments)
        changed[index] = _encode_first_letter(changed[index])
        yield "/" + "/".join(changed)
        with_param = list(segments)
        with_param[index] += ";a=b"
        yield "/" + "/".join(with_param)
        upper = list(segments)
        upper[index] = upper[index].upper()
        yield "/" + "/".join(upper)
        dotted = list(segments)
        dotted.insert(index, ".")
        yield "/" + "/".join(dotted)
        climbing = list(segments)
        climbing.insert(index, "x/..")
        yield "/" + "/".join(climbing)
    yield "/" + "/".join(segments[:-1]) + "%2f" + segments[-1]
    yield "/" + "/".join(segments[:-1]) + "/%2e/" + segments[-1]


def test_every_admin_route_in_every_spelling_is_refused_to_a_reviewer(staffed: Staffed) -> None:
    reviewer = Staff.sign_in(staffed.url, REVIEWER, REVIEWER_PASSWORD)
    admin = Staff.sign_in(staffed.url, ADMIN, ADMIN_PASSWORD)
    events_before = len(tracker.conversation_events(engine_for(staffed.tracker_url), VICTIM))
    assert events_before > 0
    tried = 0
    for method, path in admin_routes():
        # the path is right: the reviewer is refused for the role, not for a missing route
        canonical = reviewer.raw(method, path, FORM)
        assert canonical.status == 403, (method, path, canonical.status)
        if method == "GET":
            assert admin.raw(method, path).status == 200, path
        for spelled in spellings(path):
            for verb in {method, "HEAD", "OPTIONS"} if method == "GET" else {method}:
                answer = reviewer.raw(verb, spelled, FORM)
                tried += 1
                assert answer.status in REFUSED, (verb, spelled, answer.status, answer.text[:200])
    assert tried > 300
    # nothing changed
    engine = engine_for(staffed.tracker_url)
    assert len(tracker.conversation_events(engine, VICTIM)) == events_before
    console = engine_for(staffed.console_url)
    with console.connect() as conn:
        users = {
            row.username for row in conn.execute(sa.text("SELECT username FROM console_users"))
        }
        reveals = conn.execute(
            sa.text("SELECT count(*) FROM console_reveals WHERE username = :u"), {"u": REVIEWER}
        ).scalar_one()
        done = [
            row.what
            for row in conn.execute(
                sa.text("SELECT what FROM console_access_log WHERE username = :u"), {"u": REVIEWER}
            )
        ]
    assert "intruder" not in users and SECOND_ADMIN in users
    assert reveals == 0
    assert not {"delete", "reveal", "account_saved", "account_deleted", "export raw.json"} & set(
        done
    )
