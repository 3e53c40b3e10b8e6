"""The web chat's entry point on the running system: sessions only the server issues, an Origin
allowlist, bounded connections and frames, per-client limits, over real WebSockets (the relay)
and socket.io (Rasa's channel). docs/security.md, "Channels and sender ids" and "Limits"."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.client import WebSocketClientProtocol, connect
from websockets.exceptions import ConnectionClosed, InvalidStatusCode

from bot.channels.limits import RATE_LIMITED
from bot.settings import ROOT
from bot.webchat_session import new_session, sign
from devtools.processes import free_port, stop
from tests.support import localhttp
from tests.support.stack import Stack
from tests.support.waiting import wait_until
from tests.support.webchat import (
    event,
    issue,
    next_event,
    open_session,
    open_socket,
    reply_texts,
    run,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def webchat(stack: Stack) -> str:
    return stack.url("WEBCHAT_PORT")


async def refused_session(base: str, session_id: object) -> tuple[tuple[str, object], int | None]:
    """Asks the relay for a session with this id: what it answers, and how it closes."""
    socket = await open_socket(base)
    await socket.send(event("session_request", {"session_id": session_id}))
    answer = await next_event(socket)
    await socket.wait_closed()
    return answer, socket.close_code


def forged_ids(stack: Stack) -> list[object]:
    someone = issue(webchat(stack))
    other_secret = sign(secrets.token_urlsafe(32), someone.session)
    return [
        someone.session,  # another citizen's id without its signature
        other_secret,  # signed with another key
        someone.token[:-2] + "AA",  # a signature changed
        "whatsapp:4915112345678",  # a messenger's conversation
        sign(stack.env["WEBCHAT_SESSION_SECRET"], "whatsapp:4915112345678").replace(
            "whatsapp:", "web:"
        ),
        "0123456789abcdef0123456789abcdef",  # the old widget's self-made ids
        None,
        42,
        "x" * 10_000,
    ]


def test_a_session_is_issued_by_the_server_and_signed(stack: Stack) -> None:
    first, second = issue(webchat(stack)), issue(webchat(stack))
    assert first.session.startswith("web:") and first.session != second.session
    assert first.token.startswith(first.session + ".")


def test_the_relay_refuses_a_session_the_server_did_not_sign(stack: Stack) -> None:
    for forged in forged_ids(stack):
        answer, code = run(refused_session(webchat(stack), forged))
        assert answer == ("session_refused", {}), forged
        assert code == 1008, forged
    assert stack.user_texts("whatsapp:4915112345678") == []


def answers_of_rasa(stack: Stack, session_id: object) -> set[str]:
    """What Rasa's own socket.io channel answers a client that names this session."""
    import socketio

    client = socketio.Client()
    answers: list[str] = []
    client.on("session_refused", lambda _data: answers.append("refused"))
    client.on("session_confirm", lambda _data: answers.append("confirmed"))
    client.connect(stack.url("RASA_PORT"), transports=["polling"])
    client.emit("session_request", {"session_id": session_id})
    client.emit("user_uttered", {"session_id": session_id, "message": "Hallo"})
    wait_until(lambda: answers, 30, "Rasa's answer")
    client.disconnect()
    return set(answers)


def test_rasas_own_socket_io_refuses_unsigned_sessions_too(stack: Stack) -> None:
    # In development Rasa's port is reachable: its channel checks the signature itself.
    for forged in forged_ids(stack)[:4]:
        assert answers_of_rasa(stack, forged) == {"refused"}, forged
    assert answers_of_rasa(stack, issue(webchat(stack)).token) == {"confirmed"}
    assert stack.user_texts("whatsapp:4915112345678") == []


def test_a_rest_caller_cannot_claim_a_web_chat_session(stack: Stack) -> None:
    session = issue(webchat(stack))
    for sender in (session.session, session.token):
        answer = localhttp.post(
            f"{stack.url('RASA_PORT')}/webhooks/rest/webhook",
            json={"sender": sender, "message": "Ich möchte meine Rechnung bezahlen"},
            timeout=30,
        )
        assert answer.status_code == 403
    assert stack.user_texts(session.session) == []


def test_the_conversation_is_stored_under_the_bare_session_id(stack: Stack) -> None:
    session = issue(webchat(stack))

    async def talk() -> None:
        socket = await open_session(webchat(stack), session)
        await reply_texts(socket, session, "Hallo", "Wie kann ich Ihnen helfen?")
        await socket.close()

    run(talk())
    assert stack.user_texts(session.session) == ["Hallo"]
    assert session.token.split(".")[1] not in str(stack.tracker(session.session))


@pytest.mark.parametrize("origin", ["https://evil.example", "null", None])
def test_a_page_not_on_the_allowlist_gets_no_socket_and_no_session(
    stack: Stack, origin: str | None
) -> None:
    url = webchat(stack).replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"

    async def attempt() -> int:
        try:
            async with connect(url, origin=origin):  # type: ignore[arg-type]
                return 101
        except InvalidStatusCode as refused:
            return refused.status_code

    assert run(attempt()) == 403
    if origin is not None:
        answer = localhttp.post(f"{webchat(stack)}/api/sessions", headers={"Origin": origin})
        assert answer.status_code == 403
        assert "Access-Control-Allow-Origin" not in answer.headers


def test_the_allowed_origin_may_read_the_answers(stack: Stack) -> None:
    answer = localhttp.post(f"{webchat(stack)}/api/sessions", headers={"Origin": webchat(stack)})
    assert answer.status_code == 201
    assert answer.headers["Access-Control-Allow-Origin"] == webchat(stack)


def test_frames_the_widget_never_sends_close_the_socket(stack: Stack) -> None:
    session = issue(webchat(stack))

    async def close_code(frame: str | bytes) -> int | None:
        socket = await open_session(webchat(stack), session)
        await socket.send(frame)
        try:
            while True:
                await asyncio.wait_for(socket.recv(), 30)
        except ConnectionClosed:
            return socket.close_code

    too_big = event("user_uttered", {"session_id": session.token, "message": "x" * 20_000})
    assert run(close_code(too_big)) == 1009  # over the relay's frame size (MAX_FRAME)
    long_text = event("user_uttered", {"session_id": session.token, "message": "x" * 6000})
    for frame in (
        b"\x00\x01binary",
        event("evil_event", {"session_id": session.token}),
        '42/admin,["x"]',
        '42["user_uttered"',
        "5",
        long_text,
        event("user_uttered", {"session_id": session.token, "message": {"$ne": 1}}),
    ):
        assert run(close_code(frame)) == 1008, frame
    assert stack.user_texts(session.session) == []


def test_connections_per_client_address_are_bounded(stack: Stack) -> None:
    # The stack trusts loopback as a proxy and allows 3 sockets per client address.
    client = f"198.51.100.{secrets.randbelow(200) + 20}"

    async def attempt() -> None:
        held = [await open_socket(webchat(stack), forwarded_for=client) for _ in range(3)]
        with pytest.raises(InvalidStatusCode) as refused:
            await open_socket(webchat(stack), forwarded_for=client)
        assert refused.value.status_code == 429
        other = await open_socket(webchat(stack), forwarded_for="198.51.100.7")  # another client
        await other.close()
        await held.pop().close()
        await asyncio.sleep(0)  # let the relay see the close
        again = await wait_for_socket(webchat(stack), client)
        for socket in [*held, again]:
            await socket.close()

    run(attempt())


async def wait_for_socket(base: str, client: str) -> WebSocketClientProtocol:
    """A socket for `client` as soon as the relay has counted a closed one out."""
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        try:
            return await open_socket(base, forwarded_for=client)
        except InvalidStatusCode:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.1)


def test_a_flood_from_one_address_gets_a_notice_and_stops_at_the_relay(stack: Stack) -> None:
    # 6 at once per address in the stack, then 1 a minute; the session's own issue counts.
    client = f"203.0.113.{secrets.randbelow(200) + 20}"
    session = issue(webchat(stack), forwarded_for=client)
    flood = 12

    async def write() -> list[str]:
        socket = await open_session(webchat(stack), session, forwarded_for=client)
        for number in range(flood):
            await socket.send(
                event("user_uttered", {"session_id": session.token, "message": f"danke {number}"})
            )
        notices: list[str] = []
        while len(notices) < 1:
            name, data = await next_event(socket)
            if (
                name == "bot_uttered"
                and isinstance(data, dict)
                and data.get("text") == RATE_LIMITED
            ):
                notices.append(str(data["text"]))
        await socket.close()
        return notices

    assert run(write()) == [RATE_LIMITED]
    # Issuing sessions from that address is limited as well, with the same bilingual notice.
    over = localhttp.post(
        f"{webchat(stack)}/api/sessions",
        headers={"Origin": webchat(stack), "X-Forwarded-For": client},
        timeout=10,
    )
    assert over.status_code == 429 and over.json()["detail"] == RATE_LIMITED
    arrived = wait_until(lambda: stack.user_texts(session.session), 60, "the first messages")
    assert 1 <= len(arrived) < flood


def test_missed_replies_need_the_signed_token(stack: Stack) -> None:
    session = issue(webchat(stack))

    async def talk() -> None:
        socket = await open_session(webchat(stack), session)
        await reply_texts(socket, session, "Hallo", "Wie kann ich Ihnen helfen?")
        await socket.close()

    run(talk())
    url = f"{webchat(stack)}/api/sessions/bot-messages"
    good = localhttp.post(url, content=f'{{"token": "{session.token}"}}', timeout=30)
    assert good.status_code == 200 and good.json()["messages"]
    for token in (session.session, sign("x" * 32, session.session), "", None):
        assert localhttp.post(url, json={"token": token}, timeout=30).status_code == 404
    assert (
        localhttp.get(f"{webchat(stack)}/api/sessions/{session.session}/bot-messages").status_code
        == 404
    )


@pytest.fixture
def own_relay(stack: Stack, tmp_path: Path) -> Iterator[str]:
    """A second web chat service in front of the stack's Rasa: no trusted proxy, no exemption,
    two sockets in all, three requests per address at once."""
    port = free_port()
    env = {
        **os.environ,
        **stack.env,
        "WEBCHAT_PORT": str(port),
        "TRUSTED_PROXIES": "",
        "RATE_LIMIT_EXEMPT": "",
        "WEBCHAT_MAX_CONNECTIONS": "2",
        "ADDRESS_RATE_BURST": "3",
        "ADDRESS_RATE_PER_MINUTE": "1",
        "PYTHONPATH": str(ROOT),
    }
    with (tmp_path / "webchat.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "webchat"], cwd=ROOT, env=env, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert process.poll() is None, (tmp_path / "webchat.log").read_text()
        try:
            return localhttp.get(f"{base}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(up, 60, "the second web chat service")
        yield base
    finally:
        stop(process)


def test_the_relay_holds_at_most_its_connections_in_all(own_relay: str) -> None:
    async def attempt() -> None:
        held = [await open_socket(own_relay) for _ in range(2)]
        with pytest.raises(InvalidStatusCode) as refused:
            await open_socket(own_relay, forwarded_for="192.0.2.99")
        assert refused.value.status_code == 429
        for socket in held:
            await socket.close()

    run(attempt())


def test_forwarded_for_from_an_untrusted_peer_is_ignored(own_relay: str) -> None:
    # Loopback is no trusted proxy here: every request counts for 127.0.0.1, whatever it claims.
    statuses = [
        localhttp.post(
            f"{own_relay}/api/sessions",
            headers={"Origin": own_relay, "X-Forwarded-For": f"192.0.2.{n}"},
            timeout=10,
        ).status_code
        for n in range(5)
    ]
    assert statuses[:3] == [201, 201, 201] and statuses[3:] == [429, 429]


def test_an_unsigned_session_of_a_new_format_is_refused_too(stack: Stack) -> None:
    # A well-formed id this server never issued, signed with its key by nobody.
    answer, code = run(refused_session(webchat(stack), new_session()))
    assert answer == ("session_refused", {}) and code == 1008
