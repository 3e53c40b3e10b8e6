"""Rasa's REST channel with its input checked before Rasa reads it.

Rasa's own `RestInput` assumes the body is a JSON object: `[]` or `null` end in a 500. This
subclass keeps the route (`POST /webhooks/rest/webhook`, name `rest`) and answers malformed
bodies with 400 and a clear message, and overlong messages with a reply instead of a model run.

A conversation belongs to the channel that issued its sender id. REST lets the caller name the
sender, so it must never reach a messenger's conversation: a sender id with a channel prefix
(`telegram:…`, `whatsapp:…`, any `name:`) is refused with 403, and a client-supplied
`input_channel` is ignored (Rasa's own channel would take it). REST is a development and
integration entry point: `REST_CHANNEL=on` (set by `make run`, `make test` and `make bench`)
serves it; unset or `off` (the deployment files), the route does not exist.

Floods: every POST counts against its client address, every valid message against its sender
(bot/channels/limits.py); over either limit the answer is 429 and nothing reaches the assistant.
"""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.limits import RATE_LIMITED, ClientLimits

SETTING = "REST_CHANNEL"
MAX_MESSAGE_CHARS = 5000
MAX_SENDER_CHARS = 128
TOO_LONG = (
    f"Ihre Nachricht ist zu lang: höchstens {MAX_MESSAGE_CHARS} Zeichen, bitte kürzer fassen. "
    f"/ Your message is too long: at most {MAX_MESSAGE_CHARS} characters, please shorten it."
)


# A channel's namespace: letters, digits, "_" or "-", then a colon (`telegram:4711`).
_CHANNEL_PREFIX = re.compile(r"^\s*[A-Za-z0-9_-]+\s*:")
FOREIGN_SENDER = (
    "Diese Absender-Kennung gehört zu einem anderen Kanal und ist hier nicht erlaubt. "
    "/ This sender id belongs to another channel and is not allowed here."
)


def enabled(env: Mapping[str, str] | None = None) -> bool:
    """Whether `REST_CHANNEL` turns the channel on; anything but "on" (or unset) is off.

    >>> enabled({"REST_CHANNEL": "on"}), enabled({"REST_CHANNEL": "off"}), enabled({})
    (True, False, False)
    """
    value = (os.environ if env is None else env).get(SETTING, "off")
    return value.strip().lower() == "on"


def claims_another_channel(sender: str) -> bool:
    """True for a sender id in another channel's namespace.

    >>> claims_another_channel("telegram:4711"), claims_another_channel(" WhatsApp :49151")
    (True, True)
    >>> claims_another_channel("anna-3f2a"), claims_another_channel("Frau Müller")
    (False, False)
    """
    return bool(_CHANNEL_PREFIX.match(sender))


def body_problem(body: Any) -> str | None:
    """Why a request body is unusable, or None.

    >>> body_problem({"sender": "anna", "message": "Hallo"}) is None
    True
    >>> body_problem([])
    'Der Inhalt muss ein JSON-Objekt mit "sender" und "message" sein.'
    >>> body_problem({"sender": "anna", "message": 42})
    '"message" muss ein Text sein.'
    """
    if not isinstance(body, dict):
        return 'Der Inhalt muss ein JSON-Objekt mit "sender" und "message" sein.'
    sender = body.get("sender")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
        return f'"sender" muss ein Text mit 1 bis {MAX_SENDER_CHARS} Zeichen sein.'
    if not isinstance(body.get("message"), str):
        return '"message" muss ein Text sein.'
    if "metadata" in body and not isinstance(body["metadata"], dict | None):
        return '"metadata" muss ein JSON-Objekt sein.'
    return None


def _problem(detail: str) -> HTTPResponse:
    return response.json({"error": "bad_request", "detail": detail}, status=400)


def too_many_requests() -> HTTPResponse:
    return response.json(
        {"error": "too_many_requests", "detail": RATE_LIMITED},
        status=429,
        headers={"Retry-After": "10"},
    )


class ValidatingRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def _extract_input_channel(self, req: Request) -> str:
        # Never the body's `input_channel`: a REST message is a REST message.
        return self.name()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        if not enabled():
            # No route at all (404), not a refusing one: the entry point does not exist.
            return Blueprint("rest_webhook_off", url_prefix="/webhooks/rest")
        blueprint: Blueprint = super().blueprint(on_new_message)
        limits = ClientLimits.from_env(os.environ)

        @blueprint.middleware("request")
        async def check_body(request: Request) -> HTTPResponse | None:
            if request.method != "POST":
                return None
            address = limits.address(request.ip, request.headers.get("x-forwarded-for"))
            if not limits.allow_address(address):
                return too_many_requests()
            try:
                body = request.json
            except Exception:  # sanic raises its own InvalidUsage for broken JSON
                return _problem("Der Inhalt ist kein gültiges JSON.")
            problem = body_problem(body)
            if problem:
                return _problem(problem)
            if claims_another_channel(body["sender"]):
                return response.json({"error": "forbidden", "detail": FOREIGN_SENDER}, status=403)
            if not limits.per_sender.allow(body["sender"]):
                return too_many_requests()
            if len(body["message"]) > MAX_MESSAGE_CHARS:
                return response.json([{"recipient_id": body["sender"], "text": TOO_LONG}])
            return None

        return blueprint
