"""The web chat service relays socket.io to Rasa's channel: a raw Engine.IO/Socket.IO exchange
over the page's own origin, without a browser, shows the relay and session persistence work
(the guards of the relay: tests/e2e/test_webchat_guard.py)."""

from __future__ import annotations

import pytest
from websockets.client import connect

from tests.support.stack import Stack
from tests.support.webchat import issue, open_session, reply_texts, run

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def converse(base: str) -> None:
    session = issue(base)
    first = await open_session(base, session)
    assert "Wie kann ich Ihnen helfen?" in await reply_texts(
        first, session, "Hallo", "Wie kann ich Ihnen helfen?"
    )
    await first.close()
    # A new connection with the same session token continues the same conversation.
    second = await open_session(base, session)
    again = await reply_texts(second, session, "Danke", "Gern geschehen")
    assert "Ich bin der digitale Assistent" not in again  # no new session's welcome
    await second.close()


def test_socket_io_through_the_web_chat_origin_keeps_the_session(stack: Stack) -> None:
    run(converse(stack.url("WEBCHAT_PORT")))


def test_the_relay_refuses_long_polling(stack: Stack) -> None:
    base = stack.url("WEBCHAT_PORT")

    async def attempt() -> int | None:
        url = base.replace("http://", "ws://")
        async with connect(f"{url}/socket.io/?EIO=4&transport=polling", origin=base) as socket:  # type: ignore[arg-type]
            await socket.wait_closed()
            return socket.close_code

    assert run(attempt()) == 1008
