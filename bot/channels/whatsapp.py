"""WhatsApp Cloud API channel: Meta's webhook in, the Graph API's `/messages` out.

Routes (../shared/CONTRACT.md): `GET /webhooks/whatsapp/webhook` answers Meta's verify
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
import hashlib
import hmac
import json
import logging
import math
import os
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
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
    namespaced,
    split_text,
)

logger = logging.getLogger(__name__)

CHANNEL = "whatsapp"
DEFAULT_API_URL = "https://graph.facebook.com/v21.0"

# The Cloud API's limits (Meta's interactive message reference).
TEXT_LIMIT = 4096
BODY_LIMIT = 1024  # body of an interactive message
MAX_REPLY_BUTTONS = 3
BUTTON_TITLE_LIMIT = 20
BUTTON_ID_LIMIT = 256
MAX_LIST_ROWS = 10
ROW_TITLE_LIMIT = 24
ROW_DESCRIPTION_LIMIT = 72
ROW_ID_LIMIT = 200
LIST_BUTTON = "Auswählen / Choose"  # the label that opens a list (at most 20 characters)
MORE_OPTIONS = "Weitere Möglichkeiten / More options:"

UNSUPPORTED = (
    "Ich kann bisher nur Textnachrichten, Knöpfe und Standorte lesen. Bitte schreiben Sie Ihr "
    "Anliegen als Text. / I can only read text messages, buttons and locations so far. Please "
    "write your request as text."
)
NOT_CONFIGURED = "WhatsApp ist auf diesem Server nicht eingerichtet. / WhatsApp is not set up."

# Words a shortened title should not end on ("Pay an invoice by…" reads worse than "Pay an
# invoice…").
DANGLING_WORDS = frozenset(
    {
        *("a", "an", "the", "by", "at", "to", "of", "for", "in", "on", "and", "or", "per", "with"),
        *("zu", "zur", "zum", "im", "am", "mit", "und", "oder", "von", "für", "auf", "bei"),
        *("der", "die", "das", "den", "dem", "des", "ein", "eine", "einer", "einem", "einen"),
    }
)


# ---------------------------------------------------------------- settings


@dataclass(frozen=True)
class WhatsAppConfig:
    """The channel's settings, from the environment (names in ../shared/CONTRACT.md)."""

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


# ---------------------------------------------------------------- checks of incoming requests


def signature_status(app_secret: str, body: bytes, header: str | None) -> int:
    """200 when `header` is `sha256=<hex HMAC-SHA256 of body>`, 401 when it is missing, 403 when
    it is wrong or no app secret is configured (then nothing can be verified, so nothing passes).

    >>> body = b'{"entry": []}'
    >>> good = "sha256=" + hmac.new(b"geheim", body, hashlib.sha256).hexdigest()
    >>> signature_status("geheim", body, good), signature_status("geheim", body, None)
    (200, 401)
    >>> signature_status("geheim", body + b" ", good), signature_status("", body, good)
    (403, 403)
    """
    if not app_secret:
        return 403
    if not header:
        return 401
    expected = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return 200 if hmac.compare_digest(expected.encode(), header.strip().encode()) else 403


def verify_handshake(verify_token: str, args: Mapping[str, str]) -> str | None:
    """The challenge to echo when Meta's verify request is right, else None.

    >>> verify_handshake("tok", {"hub.mode": "subscribe", "hub.verify_token": "tok",
    ...                          "hub.challenge": "1158201444"})
    '1158201444'
    >>> verify_handshake("tok", {"hub.mode": "subscribe", "hub.verify_token": "nope",
    ...                          "hub.challenge": "1"}) is None
    True
    >>> verify_handshake("", {"hub.mode": "subscribe", "hub.verify_token": "",
    ...                       "hub.challenge": "1"}) is None
    True
    """
    if not verify_token or args.get("hub.mode") != "subscribe":
        return None
    given = args.get("hub.verify_token") or ""
    if not hmac.compare_digest(given.encode(), verify_token.encode()):
        return None
    challenge = args.get("hub.challenge") or ""
    return challenge if 0 < len(challenge) <= 256 else None


# ---------------------------------------------------------------- reading an update


class ShapeError(ValueError):
    """The update is not shaped like a Cloud API webhook; the message says what is wrong."""


@dataclass(frozen=True)
class Incoming:
    """One citizen message of an update, as the assistant should see it.

    `text` is None for messages the assistant cannot read (stickers, images, …): they get the
    UNSUPPORTED reply.
    """

    message_id: str
    wa_id: str
    text: str | None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def sender(self) -> str:
        return namespaced(CHANNEL, self.wa_id)


def _list(container: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = container.get(key, [])
    if not isinstance(value, list):
        raise ShapeError(f'"{key}" in {where} muss eine Liste sein.')
    return value


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ShapeError(f"{where} muss ein JSON-Objekt sein.")
    return value


def _string(container: Mapping[str, Any], key: str, where: str, limit: int = 512) -> str:
    value = container.get(key)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise ShapeError(f'"{key}" in {where} muss ein Text mit 1 bis {limit} Zeichen sein.')
    return value


def _coordinate(value: Any, bound: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ShapeError("Ein Standort braucht Zahlen als latitude und longitude.")
    number = float(value)
    if not math.isfinite(number) or abs(number) > bound:
        raise ShapeError("Ein Standort liegt außerhalb der gültigen Koordinaten.")
    return number


def location_message(location: Any) -> tuple[str, dict[str, Any]]:
    """The text and metadata a shared location becomes (what the issue-report form reads).

    >>> location_message({"latitude": 50.8097, "longitude": 8.77, "name": "Rathaus"})
    ('50.80970, 8.77000', {'location': {'latitude': 50.8097, 'longitude': 8.77}})
    """
    place = _object(location, "location")
    latitude = _coordinate(place.get("latitude"), 90.0)
    longitude = _coordinate(place.get("longitude"), 180.0)
    text = f"{latitude:.5f}, {longitude:.5f}"
    return text, {"location": {"latitude": latitude, "longitude": longitude}}


def _interactive_text(interactive: Any) -> str | None:
    reply = _object(interactive, "interactive")
    kind = reply.get("type")
    if kind in ("button_reply", "list_reply"):
        # The id is the payload we put on the button (see reply_buttons / list_messages).
        return _string(_object(reply.get(kind), kind), "id", kind, BUTTON_ID_LIMIT)
    return None  # flows and other answers this assistant never asks for


def read_message(message: Any) -> Incoming | None:
    """One entry of `value.messages`; None for what is deliberately not answered.

    >>> read_message({"from": "4915112345678", "id": "wamid.1", "type": "text",
    ...               "text": {"body": "Hallo"}})
    Incoming(message_id='wamid.1', wa_id='4915112345678', text='Hallo', metadata={})
    >>> read_message({"from": "4915112345678", "id": "wamid.2", "type": "interactive",
    ...               "interactive": {"type": "button_reply",
    ...                               "button_reply": {"id": "/affirm", "title": "Ja"}}}).text
    '/affirm'
    >>> read_message({"from": "4915112345678", "id": "wamid.3", "type": "sticker",
    ...               "sticker": {"id": "1"}}).text is None
    True
    """
    item = _object(message, "Eine Nachricht")
    wa_id = _string(item, "from", "message", 32)
    if not wa_id.isdigit():
        raise ShapeError('"from" muss eine WhatsApp-Nummer (nur Ziffern) sein.')
    message_id = _string(item, "id", "message")
    kind = _string(item, "type", "message", 64)
    text: str | None = None
    metadata: dict[str, Any] = {}
    if kind == "text":
        text = _string(_object(item.get("text"), "text"), "body", "text", 65536).strip() or None
    elif kind == "interactive":
        text = _interactive_text(item.get("interactive"))
    elif kind == "button":  # a quick-reply button of a message template
        button = _object(item.get("button"), "button")
        text = _string(button, "payload", "button", 4096)
    elif kind == "location":
        text, metadata = location_message(item.get("location"))
    elif kind == "system":
        return None  # "the customer changed their number": nothing to answer
    elif kind == "reaction":
        reaction = _object(item.get("reaction"), "reaction")
        if not reaction.get("emoji"):
            return None  # a reaction taken back
    return Incoming(message_id, wa_id, text, metadata)


def _log_failed_statuses(value: Mapping[str, Any]) -> None:
    """Delivery receipts need no answer; failures are logged (codes only) for operators."""
    statuses = value.get("statuses")
    if not isinstance(statuses, list):
        return
    for status in statuses:
        if isinstance(status, dict) and status.get("status") == "failed":
            errors = status.get("errors")
            codes = [e.get("code") for e in errors if isinstance(e, dict)] if errors else []
            logger.warning(
                "whatsapp reports a failed delivery to %s: error codes %s",
                masked_id(status.get("recipient_id", "")),
                codes,
            )


def read_update(body: Any, phone_number_id: str = "") -> list[Incoming]:
    """The citizen messages of a webhook body, in order; raises ShapeError for a body that is
    not a Cloud API update. Statuses, other fields and messages to another number of the same
    business account are skipped.

    >>> update = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
    ...     {"field": "messages", "value": {"metadata": {"phone_number_id": "10"},
    ...      "statuses": [{"id": "wamid.0", "status": "delivered"}],
    ...      "messages": [{"from": "49151", "id": "wamid.1", "type": "text",
    ...                    "text": {"body": "Hallo"}}]}}]}]}
    >>> [m.text for m in read_update(update, "10")], read_update(update, "11")
    (['Hallo'], [])
    >>> read_update([])
    Traceback (most recent call last):
    ...
    bot.channels.whatsapp.ShapeError: Der Inhalt muss ein JSON-Objekt sein.
    """
    found: list[Incoming] = []
    for entry in _list(_object(body, "Der Inhalt"), "entry", "dem Inhalt"):
        for change in _list(_object(entry, "Ein Eintrag (entry)"), "changes", "entry"):
            change = _object(change, "Eine Änderung (change)")
            if change.get("field", "messages") != "messages":
                continue  # template or account updates: nothing for the assistant
            value = _object(change.get("value"), "value")
            metadata = value.get("metadata")
            number = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
            if phone_number_id and number is not None and str(number) != phone_number_id:
                logger.info("whatsapp: update for another phone number id skipped")
                continue
            _log_failed_statuses(value)
            for message in _list(value, "messages", "value"):
                incoming = read_message(message)
                if incoming is not None:
                    found.append(incoming)
    return found


# ---------------------------------------------------------------- building replies


def shorten(title: str, limit: int) -> str:
    """A title cut to `limit` characters at a word end, not on a little word like "per" or
    "the", marked with "…"; unmarked when that leaves so little that whole words without the
    mark say more. A single overlong word is cut inside.

    >>> shorten("Ja", 20)
    'Ja'
    >>> shorten("Ja, ich erteile das Mandat", 20)
    'Ja, ich erteile…'
    >>> shorten("Pay an invoice by direct debit", 24)
    'Pay an invoice…'
    >>> shorten("Rechnung per Lastschrift bezahlen", 24)
    'Rechnung per Lastschrift'
    >>> shorten("Donaudampfschifffahrtsgesellschaft", 20)
    'Donaudampfschifffah…'
    """
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    words = title.split(" ")
    prefixes = [" ".join(words[:count]).rstrip(" ,;:-–/(") for count in range(1, len(words))]
    whole = [p for p in prefixes if p.split(" ")[-1].lower() not in DANGLING_WORDS]
    marked = max((p for p in whole if len(p) < limit), key=len, default="")
    exact = max((p for p in whole if len(p) <= limit), key=len, default="")
    if len(marked) < limit // 2 and len(exact.split(" ")) > len(marked.split(" ")):
        return exact  # "Rechnung…" says too little where "Rechnung per Lastschrift" fits
    return (marked or title[: limit - 1]) + "…"


def wa_id_of(recipient_id: str) -> str:
    """The WhatsApp number in Rasa's sender id.

    >>> wa_id_of("whatsapp:4915112345678")
    '4915112345678'
    """
    prefix = f"{CHANNEL}:"
    return recipient_id[len(prefix) :] if recipient_id.startswith(prefix) else recipient_id


def _envelope(to: str, kind: str, content: dict[str, Any]) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": kind,
        kind: content,
    }


def text_messages(to: str, text: str) -> list[dict[str, Any]]:
    """
    >>> [m["text"]["body"] for m in text_messages("49151", "eins zwei")]
    ['eins zwei']
    >>> len(text_messages("49151", "wort " * 2000))
    3
    """
    return [_envelope(to, "text", {"body": part}) for part in split_text(text, TEXT_LIMIT)]


@dataclass(frozen=True)
class Choice:
    """A button of the assistant: what the citizen sees and what comes back when tapped."""

    title: str
    payload: str

    def reply_id(self, limit: int) -> str:
        # A payload too long for the platform's id falls back to the title: the assistant then
        # reads the title as typed text, which its NLU understands.
        return self.payload if len(self.payload) <= limit else self.title[:limit]


def choices_of(buttons: Sequence[Mapping[str, Any]]) -> list[Choice]:
    """Rasa's buttons as choices; untitled ones dropped, a repeated payload offered once.

    >>> choices_of([{"title": "Ja", "payload": "/affirm"}, {"title": "Yes", "payload": "/affirm"},
    ...             {"payload": "/x"}, {"title": "Stop"}])
    [Choice(title='Ja', payload='/affirm'), Choice(title='Stop', payload='Stop')]
    """
    found: list[Choice] = []
    seen: set[str] = set()
    for button in buttons:
        title = " ".join(str(button.get("title") or "").split())
        if not title:
            continue
        payload = str(button.get("payload") or title)
        if payload not in seen:
            seen.add(payload)
            found.append(Choice(title, payload))
    return found


def _body_and_lead(to: str, text: str) -> tuple[list[dict[str, Any]], str]:
    """Text longer than an interactive body goes ahead as plain text; its end is the body."""
    parts = split_text(text, BODY_LIMIT) or [MORE_OPTIONS]
    lead = [m for part in parts[:-1] for m in text_messages(to, part)]
    return lead, parts[-1]


def reply_buttons(to: str, body: str, choices: Sequence[Choice]) -> dict[str, Any] | None:
    """An interactive reply-button message, or None when the shortened titles would clash
    (WhatsApp refuses two buttons with the same title)."""
    titles = [shorten(choice.title, BUTTON_TITLE_LIMIT) for choice in choices]
    if len(set(titles)) < len(titles):
        return None
    buttons = [
        {"type": "reply", "reply": {"id": choice.reply_id(BUTTON_ID_LIMIT), "title": title}}
        for choice, title in zip(choices, titles, strict=True)
    ]
    return _envelope(
        to,
        "interactive",
        {"type": "button", "body": {"text": body}, "action": {"buttons": buttons}},
    )


def _rows(choices: Sequence[Choice]) -> list[dict[str, Any]]:
    titles = [shorten(choice.title, ROW_TITLE_LIMIT) for choice in choices]
    if len(set(titles)) < len(titles):  # clashing titles: numbers tell them apart
        titles = [
            shorten(f"{number}. {choice.title}", ROW_TITLE_LIMIT)
            for number, choice in enumerate(choices, start=1)
        ]
    rows = []
    for choice, title in zip(choices, titles, strict=True):
        row = {"id": choice.reply_id(ROW_ID_LIMIT), "title": title}
        if title != choice.title:  # the full title, where the row had to shorten it
            row["description"] = shorten(choice.title, ROW_DESCRIPTION_LIMIT)
        rows.append(row)
    return rows


def list_messages(to: str, body: str, choices: Sequence[Choice]) -> list[dict[str, Any]]:
    """List messages of at most ten rows each: the first carries the body, further ones say
    that more options follow, so no button of the assistant is lost."""
    messages = []
    for start in range(0, len(choices), MAX_LIST_ROWS):
        section = {"rows": _rows(choices[start : start + MAX_LIST_ROWS])}
        content = {
            "type": "list",
            "body": {"text": body if start == 0 else MORE_OPTIONS},
            "action": {"button": LIST_BUTTON, "sections": [section]},
        }
        messages.append(_envelope(to, "interactive", content))
    return messages


def button_messages(
    to: str, text: str, buttons: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The messages that show a text with the assistant's buttons.

    >>> two = button_messages("49151", "Weiter?", [{"title": "Ja", "payload": "/affirm"},
    ...                                            {"title": "Nein", "payload": "/deny"}])
    >>> [m["interactive"]["type"] for m in two], two[0]["interactive"]["action"]["buttons"][0]
    (['button'], {'type': 'reply', 'reply': {'id': '/affirm', 'title': 'Ja'}})
    >>> many = button_messages("49151", "Wählen Sie:",
    ...                        [{"title": f"Thema {n}", "payload": f"/t{n}"} for n in range(12)])
    >>> [len(m["interactive"]["action"]["sections"][0]["rows"]) for m in many]
    [10, 2]
    """
    choices = choices_of(buttons)
    if not choices:
        return text_messages(to, text)
    lead, body = _body_and_lead(to, text)
    if len(choices) <= MAX_REPLY_BUTTONS:
        single = reply_buttons(to, body, choices)
        if single is not None:
            return [*lead, single]
    return [*lead, *list_messages(to, body, choices)]


def describe(message: Mapping[str, Any]) -> str:
    """What a message is, for the log: its kind and the masked recipient, never its text.

    >>> describe(_envelope("4915112345678", "text", {"body": "IBAN DE89…"}))
    'text message to …5678'
    """
    kind = str(message.get("type"))
    if kind == "interactive":
        kind = f"interactive {message['interactive'].get('type')}"
    return f"{kind} message to {masked_id(message.get('to', ''))}"


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
        await self._send_all([_envelope(wa_id_of(recipient_id), "image", {"link": image})])

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        """A custom message shaped like a Cloud API message (`type` and its content) is sent
        as it is; anything else is meant for another channel and skipped."""
        kind = json_message.get("type")
        if isinstance(kind, str) and isinstance(json_message.get(kind), dict):
            message = _envelope(wa_id_of(recipient_id), kind, json_message[kind])
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
        self.rate_limit = rate_limit or SenderRateLimit()
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
        except ValueError:
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
