"""Staff take over a conversation through Rasa's HTTP API and hand it back.

Taking over appends a `pause` event, so the assistant stops answering; a staff message is a
`bot` event sent with `execute_side_effects` to the citizen's latest channel; handing back
appends `resume` and runs `utter_what_else`, so the citizen sees the assistant is back.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from bot.rasa_auth import bearer
from bot.tls import tls_context

TIMEOUT = httpx.Timeout(15.0, connect=3.0)
BACK_ACTION = "utter_what_else"
MAX_MESSAGE = 2000


class HandoffError(RuntimeError):
    """Rasa did not take the change; the message is shown to the staff member."""


class RasaClient:
    def __init__(
        self, base_url: str, jwt_secret: str, transport: httpx.AsyncBaseTransport | None = None
    ):
        self.base_url = base_url.rstrip("/")
        # Signs a short-lived JWT per call (bot/rasa_auth.py): no token in any URL.
        self.jwt_secret = jwt_secret
        self.transport = transport

    def _url(self, sender_id: str, tail: str) -> str:
        # Rasa's router does not unquote path parameters: a channel's colon (`web:…`,
        # `telegram:…`, `whatsapp:…`) must arrive as a colon, or the call reaches another
        # conversation than the one staff took over.
        return f"{self.base_url}/conversations/{quote(sender_id, safe=':')}/{tail}"

    async def _post(self, url: str, body: Any, **params: str) -> None:
        try:
            async with httpx.AsyncClient(
                timeout=TIMEOUT, verify=tls_context(), transport=self.transport
            ) as client:
                response = await client.post(
                    url, json=body, params=params, headers=bearer(self.jwt_secret, "console")
                )
                response.raise_for_status()
        except httpx.HTTPError as exc:
            raise HandoffError("Der Assistent (Rasa) ist nicht erreichbar oder lehnt ab.") from exc

    async def pause(self, sender_id: str) -> None:
        await self._post(self._url(sender_id, "tracker/events"), [{"event": "pause"}])

    async def say(self, sender_id: str, text: str, staff: str) -> None:
        text = text.strip()[:MAX_MESSAGE]
        if not text:
            raise HandoffError("Die Nachricht ist leer.")
        event = {"event": "bot", "text": text, "metadata": {"handoff_staff": staff}}
        await self._post(
            self._url(sender_id, "tracker/events"),
            [event],
            output_channel="latest",
            execute_side_effects="true",
        )

    async def resume(self, sender_id: str) -> None:
        await self._post(self._url(sender_id, "tracker/events"), [{"event": "resume"}])
        await self._post(
            self._url(sender_id, "execute"), {"name": BACK_ACTION}, output_channel="latest"
        )
