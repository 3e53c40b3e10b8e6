"""Rasa's REST channel with its input checked before Rasa reads it.

Rasa's own `RestInput` assumes the body is a JSON object: `[]` or `null` end in a 500. This
subclass keeps the route (`POST /webhooks/rest/webhook`, name `rest`) and answers malformed
bodies with 400 and a clear message, and overlong messages with a reply instead of a model run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

MAX_MESSAGE_CHARS = 5000
MAX_SENDER_CHARS = 128
TOO_LONG = (
    f"Ihre Nachricht ist zu lang: höchstens {MAX_MESSAGE_CHARS} Zeichen, bitte kürzer fassen. "
    f"/ Your message is too long: at most {MAX_MESSAGE_CHARS} characters, please shorten it."
)


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


class ValidatingRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint: Blueprint = super().blueprint(on_new_message)

        @blueprint.middleware("request")
        async def check_body(request: Request) -> HTTPResponse | None:
            if request.method != "POST":
                return None
            try:
                body = request.json
            except Exception:  # sanic raises its own InvalidUsage for broken JSON
                return _problem("Der Inhalt ist kein gültiges JSON.")
            problem = body_problem(body)
            if problem:
                return _problem(problem)
            if len(body["message"]) > MAX_MESSAGE_CHARS:
                return response.json([{"recipient_id": body["sender"], "text": TOO_LONG}])
            return None

        return blueprint
