"""Issue 7, Telegram: the webhook route, its replies through the Bot API, and setWebhook.

Two layers. The webhook in-process: the channel's blueprint in a real sanic server on a free
port, a recording `on_new_message` in place of Rasa, replies sent to the fake Bot API (a real
HTTP server). Then the whole system (the session's `stack`, Rasa and the trained model
included): conversations, refusals, outages, the rate limit and the log, read from the fake.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from bot.channels.messaging import RATE_LIMITED, Delivery
from bot.channels.telegram import SECRET_HEADER, TelegramApi, TelegramInput
from bot.channels.telegram_updates import EDITED, ONLY_TEXT, PRIVATE_ONLY, TEXT_LIMIT
from bot.settings import ROOT
from tests.support.platforms import Call, FakePlatform, running_fake, telegram_answer

TOKEN = "4242:test-token-abc"
SECRET = "s3cret_token-xyz"


@pytest.fixture
def fake() -> Iterator[FakePlatform]:
    with running_fake(telegram_answer) as platform:
        yield platform


@pytest.fixture(autouse=True, scope="module")
def sanic_test_mode() -> Iterator[None]:
    """As sanic's own test client does: otherwise sanic's start-up rewrite of its methods
    (touchup) runs again for the second server in one process and fails."""
    before = Sanic.test_mode
    Sanic.test_mode = True
    yield
    Sanic.test_mode = before


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def private(update_id: int, chat_id: int, **content: Any) -> dict[str, Any]:
    message = {"message_id": update_id, "chat": {"id": chat_id, "type": "private"}, **content}
    return {"update_id": update_id, "message": message}


def sent_to(calls: list[Call], chat_id: int, method: str = "sendMessage") -> list[Call]:
    return [c for c in calls if c.path.endswith(f"/{method}") and c.body.get("chat_id") == chat_id]


class Harness:
    """The channel's blueprint served by sanic on 127.0.0.1; what reached 'Rasa' recorded."""

    def __init__(self, fake: FakePlatform, secret: str = SECRET) -> None:
        self.channel = TelegramInput(token=TOKEN, secret=secret, api_url=fake.url)
        # Fast retries: the outage tests below wait for every attempt.
        self.channel.output.api = TelegramApi(fake.url, TOKEN, Delivery("telegram", backoff=0.05))
        self.received: list[UserMessage] = []
        self.url = ""

    async def on_new_message(self, message: UserMessage) -> None:
        self.received.append(message)
        assert message.output_channel is not None
        await message.output_channel.send_response(
            message.sender_id, {"text": f"echo {message.text}"}
        )

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[httpx.AsyncClient]:
        app = Sanic(f"telegram_test_{uuid.uuid4().hex[:8]}")
        app.blueprint(self.channel.blueprint(self.on_new_message), url_prefix="/webhooks/telegram")
        port = free_port()
        server = await app.create_server(
            host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
        )
        assert server is not None
        await server.startup()
        self.url = f"http://127.0.0.1:{port}/webhooks/telegram/webhook"
        try:
            async with httpx.AsyncClient(timeout=30) as client:
                yield client
        finally:
            server.close()
            await server.wait_closed()

    async def post(
        self, client: httpx.AsyncClient, update: Any, secret: str | None = SECRET
    ) -> httpx.Response:
        headers = {} if secret is None else {SECRET_HEADER: secret}
        return await client.post(self.url, content=json.dumps(update), headers=headers)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


# ---------------------------------------------------------------- the webhook in-process


def test_refuses_requests_without_the_right_secret(fake: FakePlatform) -> None:
    harness = Harness(fake)

    async def scenario() -> list[int]:
        async with harness.serving() as client:
            update = private(1, 42, text="Hallo")
            return [
                (await harness.post(client, update, secret=None)).status_code,
                (await harness.post(client, update, secret="wrong")).status_code,
                (await harness.post(client, update, secret=SECRET + "x")).status_code,
            ]

    assert run(scenario()) == [401, 403, 403]
    assert harness.received == [] and fake.calls == []


def test_a_channel_without_secret_refuses_everything(fake: FakePlatform) -> None:
    harness = Harness(fake, secret="")

    async def scenario() -> list[int]:
        async with harness.serving() as client:
            return [
                (await harness.post(client, private(1, 42, text="Hallo"), s)).status_code
                for s in ("", None, "anything")
            ]

    assert run(scenario()) == [403, 403, 403]
    assert harness.received == []


def test_malformed_bodies_get_400_and_a_large_one_413(fake: FakePlatform) -> None:
    harness = Harness(fake)

    async def scenario() -> list[tuple[int, str]]:
        answers = []
        async with harness.serving() as client:
            headers = {SECRET_HEADER: SECRET}
            for raw in (b"{not json", b"[]", b"null", b'{"update_id": "1"}', b"[" * 50_000):
                answer = await client.post(harness.url, content=raw, headers=headers)
                answers.append((answer.status_code, answer.text))
            bad_message = {"update_id": 5, "message": {"chat": {"id": "x"}}}
            answer = await harness.post(client, bad_message)
            answers.append((answer.status_code, answer.text))
            huge = private(6, 42, text="x" * 1_100_000)
            answer = await harness.post(client, huge)
            answers.append((answer.status_code, answer.text))
        return answers

    answers = run(scenario())
    assert [status for status, _ in answers] == [400, 400, 400, 400, 400, 400, 413]
    assert all("Traceback" not in text and "detail" in text for _, text in answers)
    assert harness.received == []


def test_text_location_start_and_notes(fake: FakePlatform) -> None:
    harness = Harness(fake)

    async def scenario() -> list[int]:
        statuses = []
        async with harness.serving() as client:
            for update in (
                private(10, 42, text="/start"),
                private(11, 42, text="/start rechnung"),
                private(12, 42, location={"latitude": 50.8097, "longitude": 8.77}),
                private(13, 42, sticker={"file_id": "abc"}),
                private(14, 42, photo=[{"file_id": "p"}], caption="Schlagloch"),
                {"update_id": 15, "edited_message": private(15, 42, text="neu")["message"]},
                {"update_id": 16, "edited_message": private(16, 42, location={})["message"]},
                {
                    "update_id": 17,
                    "message": {"chat": {"id": -5, "type": "group"}, "text": "/start"},
                },
                {"update_id": 18, "message": {"chat": {"id": -5, "type": "group"}, "text": "hi"}},
                {"update_id": 19, "my_chat_member": {"chat": {"id": 42}}},
                private(10, 42, text="/start"),  # redelivered: handled once
            ):
                statuses.append((await harness.post(client, update)).status_code)
        return statuses

    assert run(scenario()) == [200] * 11
    assert [m.text for m in harness.received] == ["/greet", "/greet", "50.80970, 8.77000"]
    assert all(
        m.sender_id == "telegram:42" and m.input_channel == "telegram" for m in harness.received
    )
    assert harness.received[1].metadata == {"telegram_start": "rechnung"}
    assert harness.received[2].metadata == {"location": {"latitude": 50.8097, "longitude": 8.77}}
    notes = [
        c.body["text"] for c in sent_to(fake.calls, 42) if not c.body["text"].startswith("echo")
    ]
    assert notes == [ONLY_TEXT, ONLY_TEXT, EDITED]
    assert [c.body["text"] for c in sent_to(fake.calls, -5)] == [PRIVATE_ONLY]


def test_buttons_become_inline_keyboards_and_presses_their_payload(fake: FakePlatform) -> None:
    harness = Harness(fake)
    long_payload = '/inform{"kassenzeichen": "4100.2026.0001", "invoice_amount": "48.00"}'
    buttons = [
        {"title": "Ja, ich erteile das Mandat", "payload": "/affirm"},
        {"title": "Rechnung 0001", "payload": long_payload},
    ]

    async def scenario() -> None:
        async with harness.serving() as client:
            await harness.channel.output.send_text_with_buttons("telegram:42", "Mandat?", buttons)
            keyboard = sent_to(fake.calls, 42)[-1].body["reply_markup"]["inline_keyboard"]
            data = [row[0]["callback_data"] for row in keyboard]
            assert data[0] == "/affirm" and len(data[1].encode()) <= 64
            message = {
                "chat": {"id": 42, "type": "private"},
                "reply_markup": {"inline_keyboard": keyboard},
            }
            for number, pressed in enumerate(data, start=20):
                query = {
                    "id": f"cb{number}",
                    "from": {"id": 42},
                    "message": message,
                    "data": pressed,
                }
                assert (
                    await harness.post(client, {"update_id": number, "callback_query": query})
                ).status_code == 200
            # Another replica (or a restart) does not know the hash: the title goes instead.
            harness.channel.payloads = type(harness.channel.payloads)()
            query = {"id": "cb30", "from": {"id": 42}, "message": message, "data": data[1]}
            await harness.post(client, {"update_id": 30, "callback_query": query})

    run(scenario())
    assert [m.text for m in harness.received] == ["/affirm", long_payload, "Rechnung 0001"]
    answered = [
        c.body["callback_query_id"] for c in fake.calls if c.path.endswith("/answerCallbackQuery")
    ]
    assert answered == ["cb20", "cb21", "cb30"]
    assert all(c.path.startswith(f"/bot{TOKEN}/") for c in fake.calls)


def test_long_replies_are_split_under_telegrams_limit(fake: FakePlatform) -> None:
    harness = Harness(fake)
    paragraph = ("Die Hundesteuer beträgt für den ersten Hund 60 Euro im Jahr. " * 30).strip()
    text = "\n\n".join([paragraph] * 6)  # about 11,000 characters

    async def scenario() -> None:
        async with harness.serving():
            await harness.channel.output.send_text_with_buttons(
                "telegram:42", text, [{"title": "Danke", "payload": "/thank"}]
            )

    run(scenario())
    parts = sent_to(fake.calls, 42)
    assert len(parts) >= 3 and all(len(c.body["text"]) <= TEXT_LIMIT for c in parts)
    assert "".join(c.body["text"] for c in parts).replace("\n", "") == text.replace("\n", "")
    assert [("reply_markup" in c.body) for c in parts] == [False] * (len(parts) - 1) + [True]


def test_rate_limit_answers_once_and_keeps_the_assistant_out(fake: FakePlatform) -> None:
    harness = Harness(fake)
    burst = harness.channel.rate_limit.burst

    async def scenario() -> None:
        async with harness.serving() as client:
            for number in range(burst + 5):
                await harness.post(client, private(100 + number, 77, text=f"nachricht {number}"))
            await harness.post(client, private(200, 78, text="andere person"))

    run(scenario())
    # Refill is 1 message per 2 s: on a slow machine one more may pass, never all of them.
    assert burst <= len([m for m in harness.received if m.sender_id == "telegram:77"]) < burst + 5
    assert [c.body["text"] for c in sent_to(fake.calls, 77)].count(RATE_LIMITED) == 1
    assert harness.received[-1].sender_id == "telegram:78"


def test_platform_outage_retried_then_given_up_without_the_text(
    fake: FakePlatform, caplog: pytest.LogCaptureFixture
) -> None:
    harness = Harness(fake)

    async def scenario() -> list[int]:
        async with harness.serving() as client:
            fake.fail_next(2, 503)
            first = await harness.post(client, private(300, 42, text="geheim-eins"))
            fake.fail_next(4, 429)
            second = await harness.post(client, private(301, 42, text="geheim-zwei"))
            third = await harness.post(client, private(302, 42, text="geheim-drei"))
            return [first.status_code, second.status_code, third.status_code]

    with caplog.at_level("INFO"):
        assert run(scenario()) == [200, 200, 200]
    delivered = [c.body["text"] for c in fake.answered("/sendMessage")]
    assert delivered == ["echo geheim-eins", "echo geheim-drei"]
    failures = [r.getMessage() for r in caplog.records if "delivery failed" in r.getMessage()]
    assert len(failures) == 1 and "sendMessage to chat …42" in failures[0]
    assert "geheim" not in caplog.text and TOKEN not in caplog.text


# ---------------------------------------------------------------- set-webhook


def cli(fake: FakePlatform, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "BUERGERBOT_DOTENV": os.devnull,
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_URL": fake.url,
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.channels.telegram", *args],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_set_webhook_registers_the_url_with_its_secret(fake: FakePlatform) -> None:
    url = "https://city.example/webhooks/telegram/webhook"
    done = cli(fake, "set-webhook", "--url", url, "--drop-pending-updates")
    assert done.returncode == 0, done.stderr
    assert "registriert" in done.stdout and url in done.stdout
    [call] = fake.calls
    assert call.path == f"/bot{TOKEN}/setWebhook"
    assert call.body["url"] == url and call.body["secret_token"] == SECRET
    assert call.body["allowed_updates"] == ["message", "edited_message", "callback_query"]
    assert call.body["drop_pending_updates"] is True
    assert TOKEN not in done.stdout + done.stderr and SECRET not in done.stdout


def test_set_webhook_says_what_is_wrong(fake: FakePlatform) -> None:
    plain = cli(fake, "set-webhook", "--url", "http://city.example/webhooks/telegram/webhook")
    no_secret = cli(
        fake, "set-webhook", "--url", "https://city.example/x", TELEGRAM_WEBHOOK_SECRET="a b"
    )
    assert fake.calls == []  # neither reached Telegram
    fake.fail_next(1, 401)
    refused = cli(fake, "set-webhook", "--url", "https://city.example/webhooks/telegram/webhook")
    assert [plain.returncode, no_secret.returncode, refused.returncode] == [1, 1, 1]
    assert "https://" in plain.stderr
    assert "TELEGRAM_WEBHOOK_SECRET" in no_secret.stderr
    assert "HTTP 401" in refused.stderr and TOKEN not in refused.stderr
    assert "Traceback" not in plain.stderr + no_secret.stderr + refused.stderr


def test_webhook_info_reads_telegrams_answer(fake: FakePlatform) -> None:
    done = cli(fake, "webhook-info")
    assert done.returncode == 0, done.stderr
    assert fake.calls[0].path == f"/bot{TOKEN}/getWebhookInfo"


def test_the_cli_without_token_explains(fake: FakePlatform) -> None:
    done = cli(fake, "webhook-info", TELEGRAM_TOKEN="")
    assert done.returncode == 1 and "TELEGRAM_TOKEN" in done.stderr and fake.calls == []
