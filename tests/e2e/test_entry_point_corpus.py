"""Bad input on every public entry point of the running system: the REST channel, the Telegram
and WhatsApp webhooks (correctly authenticated, so the body itself is what is tested), the web
chat's HTTP routes and its socket.io relay. Empty, 1 MB, binary, deeply nested JSON, HTML and
script, SQL, wrong types, floods: never a 5xx or a stack trace, and nothing reaches the tracker
store (docs/security.md, "Bad input on every public entry point"). The portal's and the
console's corpora are in tests/portal and tests/e2e/console."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.support import localhttp
from tests.support.stack import Stack
from tests.support.webchat import issue, open_session, run

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(1)>'; DROP TABLE events; --"
CORPUS: dict[str, bytes] = {
    "empty": b"",
    "blank": b"  \n ",
    "one_mb": b'{"sender": "' + b"x" * 1_000_000 + b'", "message": "x"}',
    "binary": bytes(range(256)) * 64,
    "invalid_utf8": b'{"sender": "a\xff\xfe", "message": "b\xc3"}',
    "utf16": '{"sender": "a", "message": "b"}'.encode("utf-16"),
    "deep_list": b"[" * 100_000 + b"]" * 100_000,
    "deep_object": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "null": b"null",
    "huge_number": b"1e999999",
    "nan": b'{"sender": "a", "message": NaN, "update_id": Infinity}',
    "string": b'"hallo"',
    "array": b'[{"sender": "a", "message": "b"}]',
    "wrong_types": b'{"sender": 42, "message": ["x"], "update_id": "x", "entry": "x"}',
    "html_in_keys": json.dumps({"<img src=x onerror=alert(1)>": HOSTILE, "sender": {}}).encode(),
    "sql_in_wrong_places": json.dumps(
        {"sender": None, "message": {"$where": "1=1"}, "object": HOSTILE, "entry": [HOSTILE]}
    ).encode(),
    "telegram_shape_wrong": json.dumps(
        {"update_id": "1; DROP TABLE events", "message": {"chat": {"id": HOSTILE}, "text": 5}}
    ).encode(),
    "whatsapp_shape_wrong": json.dumps(
        {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": HOSTILE}]}]}
    ).encode(),
}


@contextmanager
def nothing_stored(stack: Stack) -> Iterator[None]:
    """No new conversation appears in the tracker store while the block runs (earlier tests'
    conversations may still be finishing their turns, so those may grow)."""
    database = Path(stack.env["TRACKER_DB_URL"].removeprefix("sqlite:///"))

    def senders() -> set[str]:
        with sqlite3.connect(database) as connection:
            return {row[0] for row in connection.execute("SELECT DISTINCT sender_id FROM events")}

    before = senders()
    yield
    assert senders() - before == set()
    with sqlite3.connect(database) as connection:  # the table is there and readable
        connection.execute("SELECT COUNT(*) FROM events").fetchone()


def refused_cleanly(answer: httpx.Response) -> None:
    assert answer.status_code < 500, (answer.status_code, answer.text[:300])
    assert "Traceback" not in answer.text and 'File "' not in answer.text


def whatsapp_signature(stack: Stack, raw: bytes) -> str:
    secret = stack.env["WHATSAPP_APP_SECRET"].encode()
    return "sha256=" + hmac.new(secret, raw, hashlib.sha256).hexdigest()


def entry_points(stack: Stack) -> dict[str, Callable[[bytes], httpx.Response]]:
    rasa, web = stack.url("RASA_PORT"), stack.url("WEBCHAT_PORT")
    json_type = {"Content-Type": "application/json"}

    def rest(raw: bytes) -> httpx.Response:
        return localhttp.post(
            f"{rasa}/webhooks/rest/webhook", content=raw, headers=json_type, timeout=60
        )

    def telegram(raw: bytes) -> httpx.Response:
        secret = {"X-Telegram-Bot-Api-Secret-Token": stack.env["TELEGRAM_WEBHOOK_SECRET"]}
        return localhttp.post(
            f"{rasa}/webhooks/telegram/webhook",
            content=raw,
            headers={**json_type, **secret},
            timeout=60,
        )

    def whatsapp(raw: bytes) -> httpx.Response:
        signed = {"X-Hub-Signature-256": whatsapp_signature(stack, raw)}
        return localhttp.post(
            f"{rasa}/webhooks/whatsapp/webhook",
            content=raw,
            headers={**json_type, **signed},
            timeout=60,
        )

    def sessions(raw: bytes) -> httpx.Response:
        return localhttp.post(
            f"{web}/api/sessions", content=raw, headers={"Origin": web}, timeout=30
        )

    def missed_replies(raw: bytes) -> httpx.Response:
        return localhttp.post(
            f"{web}/api/sessions/bot-messages", content=raw, headers={"Origin": web}, timeout=30
        )

    return {
        "rest": rest,
        "telegram": telegram,
        "whatsapp": whatsapp,
        "webchat_sessions": sessions,
        "webchat_missed_replies": missed_replies,
    }


ENTRY_POINTS = ["rest", "telegram", "whatsapp", "webchat_sessions", "webchat_missed_replies"]


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_the_corpus_gets_clear_refusals_and_stores_nothing(stack: Stack, entry: str) -> None:
    send = entry_points(stack)[entry]
    with nothing_stored(stack):
        for name, raw in CORPUS.items():
            answer = send(raw)
            refused_cleanly(answer)
            if entry in ("rest", "webchat_missed_replies") and name != "one_mb":
                assert 400 <= answer.status_code < 500, (name, answer.status_code)


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_a_flood_of_bad_bodies_gets_no_5xx(stack: Stack, entry: str) -> None:
    send = entry_points(stack)[entry]
    bodies = list(CORPUS.values())[:10] * 4

    async def flood() -> list[httpx.Response]:
        loop = asyncio.get_running_loop()
        return list(await asyncio.gather(*(loop.run_in_executor(None, send, b) for b in bodies)))

    with nothing_stored(stack):
        for answer in run(flood()):
            refused_cleanly(answer)


def test_hostile_text_in_a_well_formed_message_is_only_text(stack: Stack) -> None:
    # A citizen may write anything: it is answered, and stored as the text it was.
    sender = f"corpus-{uuid.uuid4().hex[:8]}"
    answer = localhttp.post(
        f"{stack.url('RASA_PORT')}/webhooks/rest/webhook",
        json={"sender": sender, "message": HOSTILE},
        timeout=60,
    )
    refused_cleanly(answer)
    assert answer.status_code == 200
    assert stack.user_texts(sender) == [HOSTILE]


def test_the_socket_io_relay_closes_on_the_corpus_and_stores_nothing(stack: Stack) -> None:
    base = stack.url("WEBCHAT_PORT")
    session = issue(base)

    async def close_code(frame: str | bytes) -> int | None:
        socket = await open_session(base, session)
        await socket.send(frame)
        try:
            while True:
                await asyncio.wait_for(socket.recv(), 30)
        except ConnectionClosed:
            return socket.close_code

    frames: list[str | bytes] = []
    for raw in CORPUS.values():
        frames.append(raw)  # as a binary frame
        text = raw.decode("utf-8", errors="replace")
        frames.append("42" + text)  # as a Socket.IO event
    frames.append("42" + json.dumps(["user_uttered", {"session_id": session.token, "message": 5}]))
    with nothing_stored(stack):
        for frame in frames:
            assert run(close_code(frame)) in (1008, 1009), str(frame)[:80]
    assert stack.user_texts(session.session) == []
    assert localhttp.get(f"{base}/health", timeout=10).status_code == 200
