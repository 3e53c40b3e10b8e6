"""The assistant's messages of one web chat session, read from Rasa's tracker.

Rasa sends a reply to the socket.io room of the session; a phone whose screen locked or that lost
its connection meanwhile is not in the room, and the reply would be lost. After reconnecting,
the widget compares how many replies it has with how many Rasa sent, and shows the missing ones.
The tracker store has masked every IBAN already.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from bot.rasa_auth import bearer
from bot.tls import tls_context

TIMEOUT = httpx.Timeout(10.0, connect=2.0)


class RasaUnavailable(Exception):
    """Rasa did not answer, or not with a tracker."""


def bot_events(tracker: dict[str, Any]) -> list[dict[str, Any]]:
    """The bot's messages as the widget receives them over socket.io: text and buttons.

    >>> help_button = {"title": "Hilfe", "payload": "/help"}
    >>> bot_events({"events": [
    ...     {"event": "user", "text": "hallo"},
    ...     {"event": "bot", "text": "Hallo!", "data": {"buttons": [help_button]}},
    ...     {"event": "bot", "text": None, "data": {}},
    ... ]})  # doctest: +NORMALIZE_WHITESPACE
    [{'text': 'Hallo!', 'buttons': [{'title': 'Hilfe', 'payload': '/help'}]},
     {'text': '', 'buttons': []}]
    """
    messages = []
    for event in tracker.get("events") or []:
        if event.get("event") != "bot":
            continue
        data = event.get("data") or {}
        buttons = [
            {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
            for b in data.get("buttons") or []
        ]
        messages.append({"text": str(event.get("text") or ""), "buttons": buttons})
    return messages


async def bot_messages(
    rasa_url: str,
    jwt_secret: str,
    session: str,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[dict[str, Any]]:
    """Every message the bot sent in this conversation, oldest first.

    The JWT (bot/rasa_auth.py) lets Rasa show this one conversation only, and travels in the
    header: no token in the URL.
    """
    try:
        async with httpx.AsyncClient(
            timeout=TIMEOUT, verify=tls_context(), transport=transport
        ) as client:
            response = await client.get(
                f"{rasa_url.rstrip('/')}/conversations/{quote(session, safe=':')}/tracker",
                params={"include_events": "ALL"},
                headers=bearer(jwt_secret, conversation=session),
            )
            response.raise_for_status()
            tracker = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise RasaUnavailable(str(exc)) from exc
    return bot_events(tracker if isinstance(tracker, dict) else {})
