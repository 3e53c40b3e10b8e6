"""The assistant's messages of one web chat session, read from Rasa's tracker.

Rasa sends a reply to the socket.io room of the session; a phone whose screen locked or that lost
its connection meanwhile is not in the room, and the reply would be lost. After reconnecting,
the widget compares how many replies it has with how many Rasa sent, and shows the missing ones.
The tracker store has masked every IBAN already.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

TIMEOUT = httpx.Timeout(10.0, connect=2.0)
# The widget makes 32 hex digits; Rasa's own session ids (uuid4().hex) look the same.
SESSION_ID = re.compile(r"[0-9a-f]{32}")


class RasaUnavailable(Exception):
    """Rasa did not answer, or not with a tracker."""


def valid_session(session: str) -> bool:
    """
    >>> valid_session("0123456789abcdef0123456789abcdef")
    True
    >>> valid_session("../../status")
    False
    """
    return SESSION_ID.fullmatch(session) is not None


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


async def bot_messages(rasa_url: str, token: str, session: str) -> list[dict[str, Any]]:
    """Every message the bot sent in this conversation, oldest first."""
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            response = await client.get(
                f"{rasa_url.rstrip('/')}/conversations/{session}/tracker",
                params={"token": token, "include_events": "ALL"},
            )
            response.raise_for_status()
            tracker = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise RasaUnavailable(str(exc)) from exc
    return bot_events(tracker if isinstance(tracker, dict) else {})
