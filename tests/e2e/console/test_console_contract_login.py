"""The contract's login: `POST /login` with `username` and `password` alone works for a client
that never loaded the form; a cross-site form post (foreign Origin) does not."""

from __future__ import annotations

import pytest

from tests.e2e.console.conftest import REVIEWER, REVIEWER_PASSWORD, Seeded
from tests.support import localhttp

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_login_with_the_two_contract_fields(seeded: Seeded) -> None:
    with localhttp.Client(base_url=seeded.url, timeout=10) as client:
        answer = client.post("/login", data={"username": REVIEWER, "password": REVIEWER_PASSWORD})
        assert answer.status_code in (302, 303)
        assert answer.headers["location"].endswith("/conversations")
        assert "console_session=" in answer.headers.get("set-cookie", "")


def test_wrong_password_and_foreign_origin_are_refused(seeded: Seeded) -> None:
    with localhttp.Client(base_url=seeded.url, timeout=10) as client:
        wrong = client.post("/login", data={"username": REVIEWER, "password": "nope"})
        assert wrong.status_code == 401
        forged = client.post(
            "/login",
            data={"username": REVIEWER, "password": REVIEWER_PASSWORD},
            headers={"Origin": "https://evil.example"},
        )
        assert forged.status_code == 403
        assert "console_session=" not in forged.headers.get("set-cookie", "")
