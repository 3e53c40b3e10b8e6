"""Telegram Bot API updates read, and inline keyboards built: pure functions, no I/O.

An update (https://core.telegram.org/bots/api#update) comes in many kinds. The channel
understands, in private chats: text (with `/start` and a few commands mapped to intents),
button presses (callback queries) and shared locations. Everything else a citizen can send
(stickers, photos, documents, voice, edited messages) gets a short note and never reaches the
assistant; updates nobody has to answer (channel posts, membership changes, live-location
updates) are ignored.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Telegram's limits: a message's text, and a button's callback_data (bytes, not characters).
TEXT_LIMIT = 4096
CALLBACK_DATA_BYTES = 64
# callback_data of a payload too long for Telegram: this prefix and a hash of the payload.
LONG_PAYLOAD_PREFIX = "#h:"

ONLY_TEXT = (
    "Ich verstehe nur Text, Schaltflächen und geteilte Standorte – Bilder, Sticker, Dokumente "
    "und Sprachnachrichten kann ich leider nicht lesen. Bitte schreiben Sie mir Ihr Anliegen. "
    "/ I only understand text, buttons and shared locations – I cannot read pictures, stickers, "
    "documents or voice messages. Please write your request."
)
EDITED = (
    "Bearbeitete Nachrichten kann ich nicht mehr berücksichtigen. Bitte schicken Sie die "
    "Korrektur als neue Nachricht. / I cannot take edited messages into account. Please send "
    "the correction as a new message."
)
PRIVATE_ONLY = (
    "Ich antworte nur in privaten Chats, damit niemand sonst Ihre Daten sieht. Bitte schreiben "
    "Sie mir direkt. / I only answer in private chats, so that nobody else sees your data. "
    "Please write to me directly."
)

# Telegram commands a citizen may tap in the menu, and the intent each one means. `/start` is
# what Telegram sends when a chat is opened: to Rasa it would be the unknown intent "start".
COMMANDS = {
    "start": "/greet",
    "help": "/help",
    "hilfe": "/help",
    "cancel": "/cancel",
    "abbrechen": "/cancel",
}


class UpdateError(ValueError):
    """An update of a shape the Bot API never sends; the webhook answers 400 with this text."""


@dataclass(frozen=True)
class Inbound:
    """What one update asks of the channel.

    Exactly one of `text` (for the assistant), `callback_data` (a pressed button, resolved to
    its payload by `ButtonPayloads`) and `note` (answered directly, never seen by the
    assistant) is set.
    """

    update_id: int
    chat_id: int
    text: str = ""
    metadata: dict[str, Any] | None = None
    note: str = ""
    callback_id: str = ""
    callback_data: str = ""
    button_title: str = ""


def _object(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise UpdateError(f'"{what}" muss ein JSON-Objekt sein.')
    return value


def _integer(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise UpdateError(f'"{what}" muss eine ganze Zahl sein.')
    return value


def _chat(message: Mapping[str, Any]) -> tuple[int, bool]:
    """The chat's id, and whether it is a private chat (one citizen and the bot)."""
    chat = _object(message.get("chat"), "chat")
    return _integer(chat.get("id"), "chat.id"), chat.get("type") == "private"


def command_text(text: str) -> tuple[str, dict[str, Any] | None]:
    """What the assistant reads for a typed text: commands mapped, other commands unslashed.

    A typed "/pay_invoice{…}" would otherwise set an intent and entities directly; only the
    bot's own buttons send payloads, typed text goes through the NLU.

    >>> command_text("/start")
    ('/greet', None)
    >>> command_text("/start rechnung")
    ('/greet', {'telegram_start': 'rechnung'})
    >>> command_text("/hilfe@MarburgBot")
    ('/help', None)
    >>> command_text("/inform{\\"iban\\": \\"x\\"}")
    ('inform{"iban": "x"}', None)
    >>> command_text("Hallo")
    ('Hallo', None)
    """
    if not text.startswith("/"):
        return text, None
    word, _, rest = text[1:].partition(" ")
    name = word.split("@", 1)[0].lower()
    if name in COMMANDS:
        start = rest.strip()
        return COMMANDS[name], ({"telegram_start": start} if name == "start" and start else None)
    return text.lstrip("/").strip() or text, None


def location_text(latitude: float, longitude: float) -> str:
    """A shared location as the assistant reads it (actions/services/forms.py).

    >>> location_text(50.8097, 8.77)
    '50.80970, 8.77000'
    """
    return f"{latitude:.5f}, {longitude:.5f}"


def _from_message(update_id: int, message: Mapping[str, Any]) -> Inbound | None:
    chat_id, private = _chat(message)
    text = message.get("text")
    if not private:
        # In groups (privacy mode on) the bot sees only commands aimed at it: answer those once
        # with the note, stay silent on the rest.
        if isinstance(text, str) and text.startswith("/"):
            return Inbound(update_id, chat_id, note=PRIVATE_ONLY)
        return None
    if isinstance(text, str):
        said, metadata = command_text(text)
        return Inbound(update_id, chat_id, text=said, metadata=metadata)
    location = message.get("location")
    if isinstance(location, dict):
        latitude, longitude = location.get("latitude"), location.get("longitude")
        if isinstance(latitude, int | float) and isinstance(longitude, int | float):
            shared = {"latitude": float(latitude), "longitude": float(longitude)}
            text = location_text(shared["latitude"], shared["longitude"])
            return Inbound(update_id, chat_id, text=text, metadata={"location": shared})
    return Inbound(update_id, chat_id, note=ONLY_TEXT)


def _from_edit(update_id: int, message: Mapping[str, Any]) -> Inbound | None:
    """An edited text gets a note rather than a new turn: the form has moved on since, and an
    edited IBAN or name must not silently become the answer to a later question. Live locations
    arrive as a stream of edits and are ignored."""
    chat_id, private = _chat(message)
    if private and isinstance(message.get("text"), str):
        return Inbound(update_id, chat_id, note=EDITED)
    return None


def _pressed_title(message: Mapping[str, Any], data: str) -> str:
    """The title of the button with this callback_data in the message's own keyboard."""
    markup = message.get("reply_markup")
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    for row in rows if isinstance(rows, list) else []:
        for button in row if isinstance(row, list) else []:
            if isinstance(button, dict) and button.get("callback_data") == data:
                return str(button.get("text") or "")
    return ""


def _from_callback(update_id: int, query: Mapping[str, Any]) -> Inbound | None:
    callback_id = query.get("id")
    if not isinstance(callback_id, str):
        raise UpdateError('"callback_query.id" muss ein Text sein.')
    message = query.get("message")
    if isinstance(message, dict):
        chat_id, private = _chat(message)
    else:  # the message is too old to be included: in a private chat the chat is the user
        chat_id, private = _integer(_object(query.get("from"), "from").get("id"), "from.id"), True
    data = query.get("data")
    if not private or not isinstance(data, str) or not data:
        # Still answered (the spinner on the citizen's button stops), nothing else.
        return Inbound(update_id, chat_id, callback_id=callback_id)
    title = _pressed_title(message, data) if isinstance(message, dict) else ""
    return Inbound(
        update_id, chat_id, callback_id=callback_id, callback_data=data, button_title=title
    )


def read_update(update: object) -> Inbound | None:
    """What an update asks for, None when nothing is to be done; UpdateError for a bad shape.

    >>> read_update({"update_id": 1, "message": {"chat": {"id": 42, "type": "private"},
    ...     "text": "Hallo"}})
    Inbound(update_id=1, chat_id=42, text='Hallo', metadata=None, note='', callback_id='', \
callback_data='', button_title='')
    >>> read_update({"update_id": 2, "message": {"chat": {"id": 42, "type": "private"},
    ...     "sticker": {"file_id": "x"}}}).note == ONLY_TEXT
    True
    >>> read_update({"update_id": 3, "my_chat_member": {}}) is None
    True
    >>> read_update({"update_id": "4"})
    Traceback (most recent call last):
    ...
    bot.channels.telegram_updates.UpdateError: "update_id" muss eine ganze Zahl sein.
    """
    body = _object(update, "update")
    update_id = _integer(body.get("update_id"), "update_id")
    if "message" in body:
        return _from_message(update_id, _object(body["message"], "message"))
    if "edited_message" in body:
        return _from_edit(update_id, _object(body["edited_message"], "edited_message"))
    if "callback_query" in body:
        return _from_callback(update_id, _object(body["callback_query"], "callback_query"))
    return None  # channel posts, polls, membership changes: nothing to answer


@dataclass
class ButtonPayloads:
    """Turns a button's payload into Telegram's callback_data (at most 64 bytes) and back.

    Most payloads fit ("/pay_invoice", "01.12.2026 08:15"). A longer one is sent as a hash and
    remembered here; when the press reaches a replica that does not remember it (another Rasa
    replica, a restart), the button's title from the message's keyboard goes to the assistant
    instead, which the NLU understands like typed text.

    >>> buttons = ButtonPayloads()
    >>> buttons.data_for("/affirm")
    '/affirm'
    >>> long = '/inform{"kassenzeichen": "4100.2026.0001", "invoice_amount": "48.00"}'
    >>> data = buttons.data_for(long)
    >>> data.startswith(LONG_PAYLOAD_PREFIX), len(data.encode()) <= CALLBACK_DATA_BYTES
    (True, True)
    >>> buttons.payload_for(data, "Ja") == long
    True
    >>> ButtonPayloads().payload_for(data, "Ja")
    'Ja'
    >>> buttons.payload_for("/affirm", "Ja")
    '/affirm'
    """

    size: int = 5000
    _long: OrderedDict[str, str] = field(default_factory=OrderedDict)

    def data_for(self, payload: str) -> str:
        if len(payload.encode()) <= CALLBACK_DATA_BYTES and not payload.startswith(
            LONG_PAYLOAD_PREFIX
        ):
            return payload
        data = LONG_PAYLOAD_PREFIX + hashlib.sha256(payload.encode()).hexdigest()[:40]
        self._long[data] = payload
        self._long.move_to_end(data)
        while len(self._long) > self.size:
            self._long.popitem(last=False)
        return data

    def payload_for(self, data: str, title: str) -> str:
        if not data.startswith(LONG_PAYLOAD_PREFIX):
            return data
        return self._long.get(data) or title


def keyboard(buttons: Sequence[Mapping[str, Any]], payloads: ButtonPayloads) -> dict[str, Any]:
    """Rasa's buttons as an inline keyboard, one button per row (titles are often long).

    >>> keyboard([{"title": "Ja", "payload": "/affirm"},
    ...           {"title": "Quelle", "url": "https://www.marburg.de", "type": "web_url"}],
    ...          ButtonPayloads())
    {'inline_keyboard': [[{'text': 'Ja', 'callback_data': '/affirm'}], \
[{'text': 'Quelle', 'url': 'https://www.marburg.de'}]]}
    """
    rows: list[list[dict[str, str]]] = []
    for button in buttons:
        payload = str(button.get("payload") or "")
        title = str(button.get("title") or payload).strip()
        if button.get("url"):
            rows.append([{"text": title or str(button["url"]), "url": str(button["url"])}])
        elif payload:
            rows.append([{"text": title, "callback_data": payloads.data_for(payload)}])
    return {"inline_keyboard": rows}
