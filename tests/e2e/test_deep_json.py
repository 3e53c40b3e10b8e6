"""Deeply nested JSON on the running system's web chat and console: a clear 4xx, never a 5xx.

The web chat's one HTTP route that reads JSON (POST /api/sessions/bot-messages) refuses JSON
nested deeper than webchat.app.MAX_JSON_DEPTH with 400 json_too_deep (json.loads alone would
overflow Python's stack). The console has no route that reads JSON: its forms refuse a JSON body
like any other wrong body. The portal: tests/portal/test_portal_deep_json.py."""

from __future__ import annotations

import pytest

from tests.e2e.console.staff_http import Staff
from tests.support import localhttp
from tests.support.stack import Stack
from webchat.app import MAX_JSON_DEPTH

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DEEP = {
    "lists": b"[" * 5000 + b"]" * 5000,  # past json.loads' own limit, inside the 16 KB body
    "objects": b'{"a":' * 1500 + b"1" + b"}" * 1500,
    "token_inside": b'{"token": '
    + b"[" * (MAX_JSON_DEPTH + 1)
    + b"]" * (MAX_JSON_DEPTH + 1)
    + b"}",
}


@pytest.mark.parametrize("name", list(DEEP))
def test_the_web_chat_refuses_deep_json_with_a_clear_400(stack: Stack, name: str) -> None:
    web = stack.url("WEBCHAT_PORT")
    answer = localhttp.post(
        f"{web}/api/sessions/bot-messages", content=DEEP[name], headers={"Origin": web}, timeout=30
    )
    assert answer.status_code == 400, (answer.status_code, answer.text[:200])
    assert answer.json()["error"] == "json_too_deep"
    assert "verschachtelt" in answer.json()["detail"]  # German first
    # the same route with a flat body that names no session: that refusal, not this one
    flat = localhttp.post(
        f"{web}/api/sessions/bot-messages", content=b'{"token": "x"}', headers={"Origin": web},
        timeout=30,
    )  # fmt: skip
    assert flat.status_code == 404 and flat.json()["error"] == "unknown_session"


def test_the_console_refuses_deep_json_on_its_forms(stack: Stack) -> None:
    console = stack.url("CONSOLE_PORT")
    json_type = {"Content-Type": "application/json"}
    login = localhttp.post(f"{console}/login", content=DEEP["lists"], headers=json_type, timeout=30)
    assert 400 <= login.status_code < 500, (login.status_code, login.text[:200])
    assert "console_session" not in login.headers.get("set-cookie", "")
    admin = Staff.sign_in(
        console, stack.env["CONSOLE_ADMIN_USER"], stack.env["CONSOLE_ADMIN_PASSWORD"]
    )
    for path in ("/admin/users", "/conversations/x/tags", "/conversations/x/reveal"):
        answer = admin.client.post(
            console + path, content=DEEP["objects"], headers={**admin.cookie, **json_type}
        )
        assert 400 <= answer.status_code < 500, (path, answer.status_code, answer.text[:200])
        assert "Traceback" not in answer.text
