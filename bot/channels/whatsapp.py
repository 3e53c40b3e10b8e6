"""WhatsApp Cloud API channel: Meta's webhook in, the Graph API's `/messages` out.

Routes (docs/api-contract.md): `GET /webhooks/whatsapp/webhook` answers Meta's verify
handshake, `POST /webhooks/whatsapp/webhook` receives updates. Every POST carries
`X-Hub-Signature-256`, an HMAC-SHA256 of the raw body with the app secret; it is checked before
the body is parsed, so a forged request never reaches the assistant.

Meta redelivers an update until it gets a 2xx, so the webhook answers 200 as soon as the update
is verified and understood, and the assistant's work (model, actions, replies with retries) runs
in a background task, one message after the other per citizen.

Replies: text (split under 4096 characters), up to three buttons as reply buttons, more as a list
message (ten rows per list; more rows go into further lists), images by link.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
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
)
from bot.channels.whatsapp_messages import (
    CHANNEL,
    Incoming,
    ShapeError,
    button_messages,
    describe,
    envelope,
    read_update,
    signature_status,
    text_messages,
    verify_handshake,
    wa_id_of,
)

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://graph.facebook.com/v21.0"

UNSUPPORTED = (
    "Ich kann bisher nur Textnachrichten, Knöpfe und Standorte lesen. Bitte schreiben Sie Ihr "
    "Anliegen als Text. / I can only read text messages, buttons and locations so far. Please "
    "write your request as text."
)
NOT_CONFIGURED = "WhatsApp ist auf diesem Server nicht eingerichtet. / WhatsApp is not set up."


# ---------------------------------------------------------------- settings


@dataclass(frozen=True)
class WhatsAppConfig:
    """The channel's settings, from the environment (names in docs/settings.md)."""

    token: str = ""
    phone_number_id: str = ""
    app_secret: str = ""
    verify_token: str = ""
    api_url: str = DEFAULT_API_URL

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WhatsAppConfig:
        return cls(
            token=env.get("WHATSAPP_TOKEN", ""),
            phone_number_id=env.get("WHATSAPP_PHONE_NUMBER_ID", ""),
            app_secret=env.get("WHATSAPP_APP_SECRET", ""),
            verify_token=env.get("WHATSAPP_VERIFY_TOKEN", ""),
            api_url=env.get("WHATSAPP_API_URL") or DEFAULT_API_URL,
        )

    @property
    def messages_url(self) -> str:
        """
        >>> WhatsAppConfig(phone_number_id="1065", api_url="http://fake/v21.0/").messages_url
        'http://fake/v21.0/1065/messages'
        """
        return f"{self.api_url.rstrip('/')}/{self.phone_number_id}/messages"


# ---------------------------------------------------------------- the channel


class WhatsAppOutput(OutputChannel):
    """Sends the assistant's replies through the Graph API, with Delivery's retries."""

    def __init__(self, config: WhatsAppConfig, delivery: Delivery) -> None:
        self.config = config
        self.delivery = delivery

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    async def _send_all(self, messages: Sequence[dict[str, Any]]) -> None:
        for message in messages:
            await self.delivery.post(self.config.messages_url, message, describe(message))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send_all(text_messages(wa_id_of(recipient_id), text))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self._send_all(button_messages(wa_id_of(recipient_id), text, buttons))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self._send_all([envelope(wa_id_of(recipient_id), "image", {"link": image})])

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        """A custom message shaped like a Cloud API message (`type` and its content) is sent
        as it is; anything else is meant for another channel and skipped."""
        kind = json_message.get("type")
        if isinstance(kind, str) and isinstance(json_message.get(kind), dict):
            message = envelope(wa_id_of(recipient_id), kind, json_message[kind])
            await self._send_all([message])
        else:
            logger.debug("whatsapp: a custom message for another channel skipped")


OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
Verdict = Literal["duplicate", "handle", "limited", "drop"]


class SenderQueues:
    """One citizen's messages are handled strictly in the order they came, across updates;
    different citizens run side by side. A sender's lock lives while someone waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def turn(self, sender: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(sender, (asyncio.Lock(), 0))
        self._locks[sender] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[sender]
            if users <= 1:
                del self._locks[sender]
            else:
                self._locks[sender] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


def _refuse(status: int, detail: str) -> HTTPResponse:
    return response.json({"error": "refused", "detail": detail}, status=status)


class WhatsAppInput(InputChannel):
    """The webhook Meta calls; listed in bot/credentials.yml."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        # Secrets only from the environment (bot/launcher.py passes the settings to Rasa).
        return cls(WhatsAppConfig.from_env(os.environ))

    def __init__(
        self,
        config: WhatsAppConfig,
        rate_limit: SenderRateLimit | None = None,
        delivery: Delivery | None = None,
    ) -> None:
        self.config = config
        self.rate_limit = rate_limit or SenderRateLimit.from_env(os.environ)
        self.seen = SeenIds()
        self.delivery = delivery or Delivery(
            CHANNEL, headers={"Authorization": f"Bearer {config.token}"}
        )
        self.output = WhatsAppOutput(config, self.delivery)
        # Senders already told to slow down: one RATE_LIMITED reply per flood, not one per
        # message (a flood answered message by message would double it).
        self._told_to_wait: OrderedDict[str, None] = OrderedDict()
        self._queues = SenderQueues()
        self._tasks: set[asyncio.Task[None]] = set()
        if not (config.app_secret and config.verify_token and config.token):
            logger.warning(
                "whatsapp channel not configured (WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN, "
                "WHATSAPP_TOKEN): its webhook refuses every request"
            )

    def get_output_channel(self) -> OutputChannel:
        return self.output

    # -------------------------------------------------------------- per message

    def _verdict(self, incoming: Incoming) -> Verdict:
        """Decided when the update arrives (so a burst in one POST counts as a burst):
        "duplicate", "handle", "limited" (tell the sender to wait) or "drop" (told already)."""
        if not self.seen.first_time(incoming.message_id):
            return "duplicate"
        if self.rate_limit.allow(incoming.sender):
            self._told_to_wait.pop(incoming.sender, None)
            return "handle"
        if incoming.sender in self._told_to_wait:
            return "drop"
        self._told_to_wait[incoming.sender] = None
        while len(self._told_to_wait) > 10_000:
            self._told_to_wait.popitem(last=False)
        return "limited"

    async def _handle(
        self, incoming: Incoming, verdict: Verdict, on_new_message: OnNewMessage
    ) -> None:
        try:
            async with self._queues.turn(incoming.sender):
                if verdict == "limited":
                    await self.output.send_text_message(incoming.sender, RATE_LIMITED)
                elif verdict == "handle" and incoming.text is None:
                    await self.output.send_text_message(incoming.sender, UNSUPPORTED)
                elif verdict == "handle" and incoming.text is not None:
                    await on_new_message(
                        UserMessage(
                            incoming.text,
                            self.output,
                            incoming.sender,
                            input_channel=CHANNEL,
                            message_id=incoming.message_id,
                            metadata=incoming.metadata or None,
                        )
                    )
        except Exception as error:  # one failed message must not stop the others
            # The type only: an exception's text could quote the citizen's message.
            logger.error(
                "whatsapp: a message from %s could not be handled (%s)",
                masked_id(incoming.wa_id),
                type(error).__name__,
            )

    async def _work(
        self, plan: list[tuple[Incoming, Verdict]], on_new_message: OnNewMessage
    ) -> None:
        for incoming, verdict in plan:
            await self._handle(incoming, verdict, on_new_message)

    def _start(self, plan: list[tuple[Incoming, Verdict]], on_new_message: OnNewMessage) -> None:
        task = asyncio.get_running_loop().create_task(self._work(plan, on_new_message))
        self._tasks.add(task)  # a reference, or the loop may drop the task midway
        task.add_done_callback(self._tasks.discard)

    # -------------------------------------------------------------- routes

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        blueprint = Blueprint("whatsapp_webhook", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            args = {key: request.args.get(key) or "" for key in request.args}
            challenge = verify_handshake(self.config.verify_token, args)
            if challenge is None:
                logger.warning("whatsapp: verify request refused")
                return _refuse(403, "Verifizierung abgelehnt. / Verification refused.")
            return response.text(challenge, content_type="text/plain")

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self._receive(request, on_new_message)

        return blueprint

    async def _receive(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        if not self.config.app_secret:
            return _refuse(403, NOT_CONFIGURED)
        raw: bytes = request.body or b""
        if body_too_large(raw, request.headers.get("content-length")):
            return _refuse(413, "Der Inhalt ist größer als 1 MB. / The body is larger than 1 MB.")
        status = signature_status(
            self.config.app_secret, raw, request.headers.get("x-hub-signature-256")
        )
        if status != 200:
            logger.warning(
                "whatsapp: webhook refused (%s signature)", "no" if status == 401 else "wrong"
            )
            detail = (
                "Signatur fehlt. / Signature missing."
                if status == 401
                else ("Signatur ungültig. / Invalid signature.")
            )
            return _refuse(status, detail)
        try:
            update = json.loads(raw)
        except (ValueError, RecursionError):  # broken JSON, bad UTF-8, absurd nesting (a 500)
            return response.json(
                {"error": "bad_request", "detail": "Der Inhalt ist kein gültiges JSON."}, status=400
            )
        try:
            messages = read_update(update, self.config.phone_number_id)
        except ShapeError as problem:
            return response.json({"error": "bad_request", "detail": str(problem)}, status=400)
        plan = [(incoming, self._verdict(incoming)) for incoming in messages]
        if plan:
            self._start(plan, on_new_message)
        # 200 also for what is ignored (statuses, duplicates): else Meta redelivers it for days.
        return response.json({"status": "ok"})
