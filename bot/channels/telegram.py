"""The Telegram channel: `POST /webhooks/telegram/webhook`, replies through the Bot API.

Not Rasa's own Telegram channel: that one needs aiogram, talks to the fixed api.telegram.org,
and accepts any request that reaches the route. This one reads its settings from the
environment (TELEGRAM_TOKEN, TELEGRAM_WEBHOOK_SECRET, TELEGRAM_API_URL), refuses every request
without the webhook's secret (and all of them when no secret is set), and sends replies through
`Delivery` (retries with backoff; failures logged without the text).

What updates mean is in `telegram_updates`; registering the webhook is
`python -m bot.channels.telegram set-webhook --url https://…/webhooks/telegram/webhook`.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.messaging import (
    RATE_LIMITED,
    Delivery,
    SeenIds,
    SenderRateLimit,
    body_too_large,
    masked_id,
    namespaced,
    split_text,
)
from bot.channels.telegram_updates import (
    TEXT_LIMIT,
    ButtonPayloads,
    Inbound,
    UpdateError,
    keyboard,
    read_update,
)

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret
DEFAULT_API_URL = "https://api.telegram.org"
SORRY = (
    "Entschuldigung, da ist bei mir etwas schiefgegangen. Bitte versuchen Sie es gleich noch "
    "einmal. / Sorry, something went wrong on my side. Please try again in a moment."
)


class _RedactToken(logging.Filter):
    """httpx logs each request's URL at INFO, and the Bot API's URLs carry the bot's token."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "***"), ()
        return True


class UpdateGuard:
    """Handles each update_id once. Telegram redelivers an update when our answer was slow or
    lost, and behind a load balancer the redelivery can reach another Rasa replica: with
    REDIS_URL set the ids are shared there (kept a day, as long as Telegram keeps updates).
    Should Redis not answer, the replica's own memory still catches most redeliveries."""

    def __init__(self, redis_url: str = "", key_prefix: str = "buergerbot") -> None:
        self.local = SeenIds()
        self.redis_url = redis_url
        self.key_prefix = key_prefix
        self._redis: Redis | None = None

    async def first_time(self, update_id: int) -> bool:
        if not self.local.first_time(str(update_id)):
            return False
        if not self.redis_url:
            return True
        if self._redis is None:  # created in the server's event loop, on first use
            self._redis = Redis.from_url(
                self.redis_url, socket_timeout=2.0, socket_connect_timeout=2.0
            )
        key = f"{self.key_prefix}:telegram:update:{update_id}"
        try:
            return bool(await self._redis.set(key, "1", nx=True, ex=86_400))
        except RedisError as error:
            logger.warning("telegram: redelivery guard without Redis (%s)", type(error).__name__)
            return True


def chat_of(recipient_id: str) -> int | str:
    """The Telegram chat id in a namespaced sender id.

    >>> chat_of("telegram:42"), chat_of("telegram:-1001234")
    (42, -1001234)
    """
    raw = recipient_id.removeprefix(f"{CHANNEL}:")
    try:
        return int(raw)
    except ValueError:
        return raw


class TelegramApi:
    """The Bot API methods the channel calls, each through `Delivery`."""

    def __init__(self, api_url: str, token: str, delivery: Delivery | None = None) -> None:
        self.base = f"{api_url.rstrip('/')}/bot{token}"
        self.delivery = delivery or Delivery(CHANNEL)
        if token:
            logging.getLogger("httpx").addFilter(_RedactToken(token))

    async def call(
        self, method: str, payload: dict[str, Any], chat: object = None
    ) -> dict[str, Any] | None:
        """The Bot API's answer, or None when delivery failed (logged without the payload)."""
        describe = f"{method} to chat {masked_id(payload.get('chat_id', chat))}"
        return await self.delivery.post(f"{self.base}/{method}", payload, describe)


class TelegramOutput(OutputChannel):
    """Sends the assistant's messages: text split under 4096 characters, buttons as an inline
    keyboard under the last part."""

    def __init__(self, api: TelegramApi, payloads: ButtonPayloads) -> None:
        self.api = api
        self.payloads = payloads

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    async def _send(self, recipient_id: str, text: str, markup: dict[str, Any] | None) -> None:
        parts = split_text(text, TEXT_LIMIT) or ["…"]  # Telegram refuses an empty text
        for number, part in enumerate(parts, start=1):
            payload: dict[str, Any] = {"chat_id": chat_of(recipient_id), "text": part}
            if markup and number == len(parts):
                payload["reply_markup"] = markup
            await self.api.call("sendMessage", payload)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send(recipient_id, text, None)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        markup = keyboard(buttons, self.payloads)
        await self._send(recipient_id, text, markup if markup["inline_keyboard"] else None)

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.api.call("sendPhoto", {"chat_id": chat_of(recipient_id), "photo": image})

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        # Custom payloads are meant for other channels; their text, if any, still gets through.
        text = json_message.get("text")
        if isinstance(text, str) and text.strip():
            buttons = json_message.get("buttons")
            if isinstance(buttons, list) and buttons:
                await self.send_text_with_buttons(recipient_id, text, buttons)
            else:
                await self.send_text_message(recipient_id, text)
        else:
            logger.info("telegram: a custom message without text was not sent")


class TelegramInput(InputChannel):
    """The webhook. One instance per Rasa process; its memories (seen update ids, rate limits,
    long button payloads) are per process."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        # Secrets come from the environment only, never from credentials.yml.
        return cls.from_env(os.environ)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TelegramInput:
        return cls(
            token=env.get("TELEGRAM_TOKEN", ""),
            secret=env.get("TELEGRAM_WEBHOOK_SECRET", ""),
            api_url=env.get("TELEGRAM_API_URL") or DEFAULT_API_URL,
            updates=UpdateGuard(
                env.get("REDIS_URL", ""), env.get("REDIS_KEY_PREFIX") or "buergerbot"
            ),
        )

    def __init__(
        self,
        token: str,
        secret: str,
        api_url: str = DEFAULT_API_URL,
        updates: UpdateGuard | None = None,
    ) -> None:
        self.secret = secret
        self.enabled = bool(token and secret)
        if not self.enabled:
            logger.info(
                "telegram channel off: TELEGRAM_TOKEN or TELEGRAM_WEBHOOK_SECRET not set, "
                "every webhook request is refused"
            )
        self.payloads = ButtonPayloads()
        self.output = TelegramOutput(TelegramApi(api_url, token), self.payloads)
        self.updates = updates or UpdateGuard()
        self.rate_limit = SenderRateLimit.from_env(os.environ)
        self._told_to_wait: OrderedDict[str, None] = OrderedDict()

    def get_output_channel(self) -> OutputChannel:
        # Used by Rasa's API with output_channel=latest (the staff console during a handoff).
        return self.output

    def refusal(self, presented: str | None) -> HTTPResponse | None:
        """401 without the secret header, 403 with a wrong one or when the channel is off."""
        if not self.enabled:
            return _error(403, "forbidden", "Der Telegram-Kanal ist nicht eingerichtet.")
        if presented is None:
            return _error(401, "unauthorized", f"Der Header {SECRET_HEADER} fehlt.")
        if not hmac.compare_digest(presented.encode(), self.secret.encode()):
            return _error(403, "forbidden", f"Der Header {SECRET_HEADER} ist falsch.")
        return None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("telegram_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.enabled else "off"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            refused = self.refusal(request.headers.get(SECRET_HEADER))
            if refused is not None:
                return refused
            if body_too_large(request.body, request.headers.get("content-length")):
                return _error(413, "too_large", "Der Inhalt ist größer als 1 MB.")
            try:
                inbound = read_update(json.loads(request.body or b""))
            except UpdateError as problem:
                return _error(400, "bad_request", str(problem))
            except (ValueError, RecursionError):  # broken JSON, bad UTF-8, absurd nesting
                return _error(400, "bad_request", "Der Inhalt ist kein gültiges JSON.")
            # Answered 200 also when ignored: Telegram redelivers anything else for hours.
            if inbound is not None and await self.updates.first_time(inbound.update_id):
                await self.handle(inbound, on_new_message)
            return response.json({"ok": True})

        return webhook

    async def handle(
        self, inbound: Inbound, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        sender = namespaced(CHANNEL, inbound.chat_id)
        if inbound.callback_id:  # stops the spinner on the pressed button, whatever follows
            await self.output.api.call(
                "answerCallbackQuery",
                {"callback_query_id": inbound.callback_id},
                chat=inbound.chat_id,
            )
        if not await self._allowed(sender):
            return
        text = inbound.text
        if inbound.callback_data:
            text = self.payloads.payload_for(inbound.callback_data, inbound.button_title)
        if inbound.note or not text:
            if inbound.note:
                await self.output.send_text_message(sender, inbound.note)
            return
        message = UserMessage(
            text, self.output, sender, input_channel=CHANNEL, metadata=inbound.metadata
        )
        try:
            await on_new_message(message)
        except Exception as error:  # the citizen gets an apology, Telegram its 200
            # The error's own text may quote the message: only its type is logged at ERROR.
            logger.error(
                "telegram: handling update %d of chat %s failed (%s)",
                inbound.update_id,
                masked_id(inbound.chat_id),
                type(error).__name__,
            )
            logger.debug("telegram: handling failed", exc_info=True)
            await self.output.send_text_message(sender, SORRY)

    async def _allowed(self, sender: str) -> bool:
        """The rate limit; the first message over it gets one RATE_LIMITED note, the rest
        nothing, until the sender may write again."""
        if self.rate_limit.allow(sender):
            self._told_to_wait.pop(sender, None)
            return True
        if sender not in self._told_to_wait:
            self._told_to_wait[sender] = None
            while len(self._told_to_wait) > 10_000:
                self._told_to_wait.popitem(last=False)
            await self.output.send_text_message(sender, RATE_LIMITED)
        return False


def _error(status: int, error: str, detail: str) -> HTTPResponse:
    return response.json({"error": error, "detail": detail}, status=status)


if __name__ == "__main__":
    from bot.channels.telegram_cli import main

    raise SystemExit(main())
