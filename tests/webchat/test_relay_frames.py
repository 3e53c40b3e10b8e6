"""What the relay lets through from a page, frame by frame (the running relay:
tests/e2e/test_webchat_guard.py)."""

from __future__ import annotations

import json

import pytest

from bot.channels.limits import RATE_LIMITED, ClientLimits
from bot.channels.messaging import SenderRateLimit
from bot.webchat_session import new_session, sign
from webchat.app import allowed_origins
from webchat.relay import PageFrames, event

SECRET = "a-test-secret-of-at-least-32-bytes"


def frames(burst: int = 20) -> PageFrames:
    limits = ClientLimits(SenderRateLimit(burst=burst), SenderRateLimit(burst=100))
    return PageFrames(SECRET, limits, "192.0.2.1")


def test_what_the_widget_sends_passes() -> None:
    token = sign(SECRET, new_session())
    check = frames().check
    for frame in ("2", "3", "40", "41", '40{"token":"x"}'):
        assert check(frame).forward, frame
    assert check(event("session_request", {"session_id": token})).forward
    assert check(event("user_uttered", {"session_id": token, "message": "Hallo"})).forward


@pytest.mark.parametrize(
    "session_id",
    [None, 42, "", "web:" + "0" * 32, "whatsapp:4915112345678", "telegram:42.abc", "x" * 500],
)
def test_a_session_the_server_did_not_sign_is_refused(session_id: object) -> None:
    for name in ("session_request", "user_uttered"):
        verdict = frames().check(event(name, {"session_id": session_id, "message": "Hallo"}))
        assert not verdict.forward and verdict.close
        assert verdict.reply == event("session_refused", {})


@pytest.mark.parametrize(
    "frame",
    [
        b"\x00binary",
        "5",
        "6",
        "1",
        "4hello",
        "42/admin,[]",
        '421["user_uttered",{}]',
        '42["user_uttered"',
        '42["disconnect",{}]',
        '42["user_uttered","text"]',
        "42{}",
        "42null",
        "40" + "x" * 600,
    ],
)
def test_anything_else_closes_the_socket(frame: str | bytes) -> None:
    verdict = frames().check(frame)
    assert not verdict.forward and verdict.close


def test_a_message_must_be_text_of_bounded_length() -> None:
    token = sign(SECRET, new_session())
    for message in (None, 42, ["x"], {"$ne": 1}, "x" * 5001):
        verdict = frames().check(event("user_uttered", {"session_id": token, "message": message}))
        assert not verdict.forward and verdict.close


def test_over_the_limit_a_notice_and_nothing_for_the_assistant() -> None:
    token = sign(SECRET, new_session())
    check = frames(burst=2).check
    said = event("user_uttered", {"session_id": token, "message": "Hallo"})
    verdicts = [check(said) for _ in range(3)]
    assert [v.forward for v in verdicts] == [True, True, False]
    assert verdicts[2].close is None  # the conversation goes on once the bucket refills
    assert json.loads(str(verdicts[2].reply)[2:]) == ["bot_uttered", {"text": RATE_LIMITED}]


def test_the_origin_allowlist_defaults_to_the_web_chats_own_address() -> None:
    assert allowed_origins({"WEBCHAT_PUBLIC_URL": "https://chat.example.de/x"}) == {
        "https://chat.example.de"
    }
