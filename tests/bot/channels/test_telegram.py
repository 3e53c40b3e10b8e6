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
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from rasa.core.channels.channel import UserMessage
from redis.asyncio import Redis
from sanic import Sanic

from bot.channels.messaging import RATE_LIMITED, Delivery, SenderRateLimit
from bot.channels.telegram import SECRET_HEADER, SORRY, TelegramApi, TelegramInput, UpdateGuard
from bot.channels.telegram_updates import EDITED, ONLY_TEXT, PRIVATE_ONLY, TEXT_LIMIT
from bot.settings import ROOT
from devtools.processes import free_port
from tests.conftest import Platforms
from tests.e2e.test_payment import code_for
from tests.e2e.test_services import REFERENCE
from tests.support import localhttp
from tests.support.idp import without_active_mandates
from tests.support.platforms import Call, FakePlatform, running_fake, telegram_answer
from tests.support.stack import Stack
from tests.support.waiting import wait_until

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


def private(update_id: int, chat_id: int, **content: Any) -> dict[str, Any]:
    message = {"message_id": update_id, "chat": {"id": chat_id, "type": "private"}, **content}
    return {"update_id": update_id, "message": message}


def sent_to(calls: list[Call], chat_id: int, method: str = "sendMessage") -> list[Call]:
    return [c for c in calls if c.path.endswith(f"/{method}") and c.body.get("chat_id") == chat_id]


class Harness:
    """The channel's blueprint served by sanic on 127.0.0.1; what reached 'Rasa' recorded."""

    def __init__(
        self, fake: FakePlatform, secret: str = SECRET, updates: UpdateGuard | None = None
    ) -> None:
        self.channel = TelegramInput(token=TOKEN, secret=secret, api_url=fake.url, updates=updates)
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
            async with localhttp.AsyncClient(timeout=30) as client:
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
    # The default burst with a refill too slow to matter: on a busy machine the default one
    # message per 2 s let one more through and reset the notice, which was then sent twice.
    burst = harness.channel.rate_limit.burst
    harness.channel.rate_limit = SenderRateLimit(burst=burst, per_minute=0.001)

    async def scenario() -> None:
        async with harness.serving() as client:
            for number in range(burst + 5):
                await harness.post(client, private(100 + number, 77, text=f"nachricht {number}"))
            await harness.post(client, private(200, 78, text="andere person"))

    run(scenario())
    assert len([m for m in harness.received if m.sender_id == "telegram:77"]) == burst
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


def test_a_failing_assistant_gets_an_apology_not_a_500(
    fake: FakePlatform, caplog: pytest.LogCaptureFixture
) -> None:
    harness = Harness(fake)

    async def broken(message: UserMessage) -> None:
        raise RuntimeError(f"model exploded on {message.text}")

    async def scenario() -> int:
        async with harness.serving() as client:
            return (await harness.post(client, private(500, 42, text="geheim-vier"))).status_code

    harness.on_new_message = broken  # type: ignore[method-assign]  # Rasa failing
    with caplog.at_level("INFO"):
        assert run(scenario()) == 200
    assert [c.body["text"] for c in sent_to(fake.calls, 42)] == [SORRY]
    assert "update 500 of chat …42 failed (RuntimeError)" in caplog.text
    assert "geheim" not in caplog.text


def test_replicas_sharing_redis_handle_a_redelivered_update_once(
    fake: FakePlatform, redis_url: str
) -> None:
    prefix = f"tgtest{uuid.uuid4().hex[:8]}"
    url = redis_url
    first, second = (
        Harness(fake, updates=UpdateGuard(url, prefix)),
        Harness(fake, updates=UpdateGuard(url, prefix)),
    )
    alone = Harness(fake, updates=UpdateGuard(f"redis://127.0.0.1:{free_port()}/0", prefix))

    async def scenario() -> None:
        update = private(400, 42, text="Hallo")
        async with first.serving() as client, second.serving():
            assert (await first.post(client, update)).status_code == 200
            assert (await second.post(client, update)).status_code == 200  # redelivered there
            assert (await second.post(client, private(401, 42, text="Weiter"))).status_code == 200
        async with alone.serving() as client:  # Redis does not answer: still handled, once
            assert (await alone.post(client, update)).status_code == 200
            assert (await alone.post(client, update)).status_code == 200
        redis = Redis.from_url(url)
        keys = await redis.keys(f"{prefix}:*")
        if keys:
            await redis.delete(*keys)
        await redis.close()
        assert sorted(keys) == [f"{prefix}:telegram:update:{n}".encode() for n in (400, 401)]

    run(scenario())
    assert [m.text for m in first.received] == ["Hallo"]
    assert [m.text for m in second.received] == ["Weiter"]
    assert [m.text for m in alone.received] == ["Hallo"]


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


# ---------------------------------------------------------------- the whole system

IBAN = "DE02 1203 0000 0000 2020 51"
IBAN_LEAKS = ("120300000000202051", "1203 0000 0000", "0000 2020 51", "DE021203")


class Chat:
    """One citizen's private chat with the stack's bot, as Telegram would deliver it."""

    next_update = 10_000_000 + int(uuid.uuid4().int % 1_000_000) * 100

    def __init__(self, stack: Stack, fake: FakePlatform) -> None:
        self.stack, self.fake = stack, fake
        self.chat_id = 100_000_000 + int(uuid.uuid4().int % 800_000_000)
        self.sender = f"telegram:{self.chat_id}"
        self.url = f"{stack.url('RASA_PORT')}/webhooks/telegram/webhook"
        self.secret = stack.env["TELEGRAM_WEBHOOK_SECRET"]

    def update(self, **kind: Any) -> dict[str, Any]:
        Chat.next_update += 1
        return {"update_id": Chat.next_update, **kind}

    def message(self, **content: Any) -> dict[str, Any]:
        chat = {"id": self.chat_id, "type": "private", "first_name": "Erika"}
        return {"message_id": Chat.next_update, "date": 1, "chat": chat, **content}

    def post(self, update: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
        sent = {SECRET_HEADER: self.secret} if headers is None else headers
        return localhttp.post(self.url, json=update, headers=sent, timeout=120)

    def replies(self) -> list[Call]:
        return sent_to(self.fake.answered("/sendMessage"), self.chat_id)

    def say(self, **content: Any) -> list[Call]:
        """Sends one message; returns the bot's replies to it (sent before the webhook's 200)."""
        before = len(self.replies())
        answer = self.post(self.update(message=self.message(**content)))
        assert answer.status_code == 200, answer.text
        return self.replies()[before:]

    def text(self, text: str) -> str:
        return "\n".join(str(call.body["text"]) for call in self.say(text=text))

    def press(self, title: str) -> str:
        """Presses the button with this title in the latest keyboard the bot sent."""
        for call in reversed(self.replies()):
            markup = call.body.get("reply_markup")
            rows = markup["inline_keyboard"] if markup else []
            found = [b for row in rows for b in row if b["text"] == title]
            if found:
                break
        else:
            raise AssertionError(f"no button {title!r} in {self.replies()!r}")
        query = {
            "id": uuid.uuid4().hex,
            "from": {"id": self.chat_id},
            "message": self.message(reply_markup=markup),
            "data": found[0]["callback_data"],
        }
        before = len(self.replies())
        answer = self.post(self.update(callback_query=query))
        assert answer.status_code == 200, answer.text
        answered = [c.body for c in self.fake.calls if c.path.endswith("/answerCallbackQuery")]
        assert {"callback_query_id": query["id"]} in answered
        return "\n".join(str(call.body["text"]) for call in self.replies()[before:])

    def user_texts(self) -> list[str]:
        """What the assistant's tracker holds as this citizen's messages."""
        response = localhttp.get(
            f"{self.stack.url('RASA_PORT')}/conversations/{self.sender}/tracker",
            params={"token": self.stack.env["RASA_AUTH_TOKEN"]},
            timeout=30,
        )
        response.raise_for_status()
        return [e.get("text") or "" for e in response.json()["events"] if e["event"] == "user"]


@pytest.mark.integration
@pytest.mark.slow
def test_a_full_conversation_over_telegram(stack: Stack, platforms: Platforms) -> None:
    without_active_mandates(stack, "4100.2026.0002")
    chat = Chat(stack, platforms.telegram)
    welcome = chat.say(text="/start")
    assert welcome and any("reply_markup" in call.body for call in welcome)
    assert chat.user_texts() == ["/greet"]
    faq = chat.text("wie hoch ist die hundesteuer")
    assert "60 €" in faq and "Quelle:" in faq
    assert chat.press("Was kannst du?")  # the help menu, its topics as buttons
    asked = chat.press("Rechnung per Lastschrift bezahlen")
    assert "Kassenzeichen" in asked
    address = f"max.{uuid.uuid4().hex[:6]}@example.de"
    said = [
        chat.text("Kassenzeichen 4100.2026.0002, 60,00 Euro"),
        chat.text("Max Mustermann"),
        chat.text(IBAN),
        chat.text(address),
    ]
    assert "Hundesteuer" in "\n".join(said)
    assert "DE02 **** **** **** **20 51" in "\n".join(said)
    assert "Ich ermächtige" in said[-1]
    signing = chat.press("Ja, ich erteile das Mandat")
    assert signing
    confirmed = chat.text(code_for(stack, address))
    assert "Mandatsreferenz" in confirmed
    log = stack.log_text()
    assert not [leak for leak in IBAN_LEAKS if leak in log], "clear IBAN digits in the stack log"
    assert stack.env["TELEGRAM_TOKEN"] not in log


@pytest.mark.integration
@pytest.mark.slow
def test_forged_and_unsigned_updates_never_arrive(stack: Stack, platforms: Platforms) -> None:
    chat = Chat(stack, platforms.telegram)
    forged = chat.update(message=chat.message(text="Ich möchte meine Rechnung bezahlen"))
    unsigned = chat.post(forged, headers={})
    wrong = chat.post(forged, headers={SECRET_HEADER: "forged-" + chat.secret[:8]})
    assert (unsigned.status_code, wrong.status_code) == (401, 403)
    assert "Traceback" not in unsigned.text + wrong.text
    assert chat.user_texts() == [] and chat.replies() == []
    # The same update with the secret does arrive: the check above could have failed.
    assert chat.post(forged).status_code == 200
    assert chat.user_texts() == ["Ich möchte meine Rechnung bezahlen"]


@pytest.mark.integration
@pytest.mark.slow
def test_other_updates_are_survived(stack: Stack, platforms: Platforms) -> None:
    chat = Chat(stack, platforms.telegram)
    first = chat.update(message=chat.message(text="Hallo"))
    group = {"id": -1001234, "type": "supergroup", "title": "Nachbarn"}
    for update in (
        first,
        first,  # redelivered: handled once
        chat.update(message=chat.message(sticker={"file_id": "CAAD", "emoji": "👍"})),
        chat.update(message=chat.message(photo=[{"file_id": "AgAD"}], caption="Schlagloch")),
        chat.update(message=chat.message(voice={"file_id": "AwAD", "duration": 3})),
        chat.update(message=chat.message(document={"file_id": "BQAD"})),
        chat.update(edited_message=chat.message(text="Hallo!", edit_date=2)),
        chat.update(channel_post={"message_id": 1, "chat": {"id": -100, "type": "channel"}}),
        chat.update(my_chat_member={"chat": {"id": chat.chat_id, "type": "private"}}),
        chat.update(message={"message_id": 9, "chat": group, "text": "Hallo zusammen"}),
    ):
        answer = chat.post(update)
        assert answer.status_code == 200, answer.text
    for broken in (b"{kein json", b"[]", b'{"update_id": 1, "message": "x"}'):
        answer = localhttp.post(
            chat.url, content=broken, headers={SECRET_HEADER: chat.secret}, timeout=30
        )
        assert answer.status_code == 400 and "Traceback" not in answer.text
    assert chat.user_texts() == ["Hallo"]
    notes = [c.body["text"] for c in chat.replies()]
    assert notes.count(ONLY_TEXT) == 4 and notes.count(EDITED) == 1
    assert sent_to(platforms.telegram.calls, -1001234) == []
    assert "Hundesteuer" in chat.text("was kostet die hundesteuer")  # and it goes on
    assert "channels/telegram" not in stack.log_text()  # no traceback through the channel


@pytest.mark.integration
@pytest.mark.slow
def test_a_shared_location_reports_an_issue(stack: Stack, platforms: Platforms) -> None:
    chat = Chat(stack, platforms.telegram)
    chat.text("ich möchte ein schlagloch melden")
    chat.text("litter")
    chat.say(location={"latitude": 50.8097, "longitude": 8.77})
    done = chat.text("überall liegen Glasscherben auf dem Gehweg")
    assert "50.80970, 8.77000" in chat.user_texts()
    [reference] = REFERENCE.findall(done)
    found = localhttp.get(
        f"{stack.url('PORTAL_PORT')}/api/v1/service-requests/{reference}",
        headers={"Authorization": f"Bearer {stack.env['PORTAL_API_TOKEN']}"},
        timeout=10,
    )
    assert found.status_code == 200 and found.json()["type"] == "issue_report"


@pytest.mark.integration
@pytest.mark.slow
def test_an_outage_of_the_bot_api_is_survived(stack: Stack, platforms: Platforms) -> None:
    fake, chat = platforms.telegram, Chat(stack, platforms.telegram)
    fake.fail_next(2, 503)
    assert chat.text("Hallo")  # delivered on the third attempt
    assert len([c for c in fake.calls if c.status == 503]) >= 2
    fake.fail_next(4, 429)  # every attempt of the next reply
    lost = chat.say(text="danke")
    failed = [c for c in fake.calls if c.status == 429 and c.body.get("chat_id") == chat.chat_id]
    failed_text = str(failed[0].body["text"])
    assert len(failed) == 4 and failed_text not in [c.body["text"] for c in lost]
    # The launcher writes the service's log lines to the file a moment after they are logged.
    masked = f"sendMessage to chat …{str(chat.chat_id)[-4:]}"

    def log_with_the_failure() -> str:
        log = stack.log_text()
        return log if masked in log else ""

    log = wait_until(log_with_the_failure, 60, "a log line for the failed delivery", interval=0.2)
    assert masked in log
    assert failed_text not in log
    assert "Hundesteuer" in chat.text("was kostet die hundesteuer")  # the next message works


@pytest.mark.integration
@pytest.mark.slow
def test_rate_limit_per_sender(stack: Stack, platforms: Platforms) -> None:
    chat, other = Chat(stack, platforms.telegram), Chat(stack, platforms.telegram)
    burst = SenderRateLimit().burst  # the stack runs with the default limit
    flood = burst + 10
    updates = [chat.update(message=chat.message(text=f"danke {n}")) for n in range(flood)]
    with ThreadPoolExecutor(max_workers=flood) as pool:
        statuses = [answer.status_code for answer in pool.map(chat.post, updates)]
    assert statuses == [200] * flood
    arrived = chat.user_texts()
    # `burst` at once, then one per 2 s: on a slow machine a few more pass, never all of them.
    assert burst <= len(arrived) < flood
    replies = [c.body["text"] for c in chat.replies()]
    assert 1 <= replies.count(RATE_LIMITED) <= flood - len(arrived)
    assert other.text("Hallo")  # another citizen is not limited


@pytest.mark.integration
@pytest.mark.slow
def test_a_body_over_one_megabyte_is_refused(stack: Stack, platforms: Platforms) -> None:
    chat = Chat(stack, platforms.telegram)
    huge = chat.update(message=chat.message(text="x" * 1_100_000))
    assert chat.post(huge).status_code == 413
    assert chat.user_texts() == []


@pytest.mark.integration
@pytest.mark.slow
def test_staff_reach_the_citizen_through_telegram(stack: Stack, platforms: Platforms) -> None:
    """The console's handoff sends with output_channel=latest: the channel's output is used."""
    chat = Chat(stack, platforms.telegram)
    chat.text("Hallo")
    before = len(chat.replies())
    answer = localhttp.post(
        f"{stack.url('RASA_PORT')}/conversations/{chat.sender}/tracker/events",
        params={
            "token": stack.env["RASA_AUTH_TOKEN"],
            "output_channel": "latest",
            "execute_side_effects": "true",
        },
        json=[{"event": "bot", "text": "Hier ist Frau Schmidt vom Bürgerbüro."}],
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    assert [c.body["text"] for c in chat.replies()[before:]] == [
        "Hier ist Frau Schmidt vom Bürgerbüro."
    ]


@pytest.mark.integration
@pytest.mark.slow
def test_commands_from_the_menu(stack: Stack, platforms: Platforms) -> None:
    chat = Chat(stack, platforms.telegram)
    chat.text("Ich möchte meine Rechnung per Lastschrift bezahlen")
    assert "kein Mandat" in chat.text("/abbrechen")
    assert chat.text("/hilfe@MarburgBot")
    assert chat.user_texts()[1:] == ["/cancel", "/help"]
    assert "Rechnung per Lastschrift bezahlen" in str(chat.replies()[-1].body["reply_markup"])
