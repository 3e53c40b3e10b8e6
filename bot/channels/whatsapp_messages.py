"""The WhatsApp Cloud API's messages as plain data: checks of an incoming request, the citizen
messages of a webhook update, and the Graph API messages that show the assistant's replies.

No I/O here (bot/channels/whatsapp.py is the channel); every function is tested by its examples.
Shapes and limits follow Meta's Cloud API reference (webhook `messages` field, interactive reply
buttons and list messages).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.channels.messaging import masked_id, namespaced, split_text

logger = logging.getLogger(__name__)

CHANNEL = "whatsapp"

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


# Words a shortened title should not end on ("Pay an invoice by…" reads worse than "Pay an
# invoice…").
DANGLING_WORDS = frozenset(
    {
        *("a", "an", "the", "by", "at", "to", "of", "for", "in", "on", "and", "or", "per", "with"),
        *("zu", "zur", "zum", "im", "am", "mit", "und", "oder", "von", "für", "auf", "bei"),
        *("der", "die", "das", "den", "dem", "des", "ein", "eine", "einer", "einem", "einen"),
    }
)


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
    bot.channels.whatsapp_messages.ShapeError: Der Inhalt muss ein JSON-Objekt sein.
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


def envelope(to: str, kind: str, content: dict[str, Any]) -> dict[str, Any]:
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
    return [envelope(to, "text", {"body": part}) for part in split_text(text, TEXT_LIMIT)]


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
    return envelope(
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
        messages.append(envelope(to, "interactive", content))
    return messages


CTA_DISPLAY_LIMIT = 20  # display_text of a call-to-action URL button


def link_button(button: Mapping[str, Any]) -> str | None:
    """The address a button opens, or None for a button that answers the assistant.

    >>> link_button({"title": "Anmelden", "url": "https://portal.example/signing/x"})
    'https://portal.example/signing/x'
    >>> link_button({"title": "Ja", "payload": "/affirm"}) is None
    True
    """
    url = button.get("url")
    return str(url) if isinstance(url, str) and url.startswith(("https://", "http://")) else None


def cta_url_message(to: str, body: str, title: str, url: str) -> dict[str, Any]:
    """An interactive call-to-action message: one button that opens `url` (the signing link)
    instead of sending a reply; WhatsApp shows the link's host under it.

    >>> m = cta_url_message("49151", "Bitte anmelden.", "Mit BundID / Online-Ausweis", "https://p/s")
    >>> m["interactive"]["type"], m["interactive"]["action"]["parameters"]
    ('cta_url', {'display_text': 'Mit BundID…', 'url': 'https://p/s'})
    """
    return envelope(
        to,
        "interactive",
        {
            "type": "cta_url",
            "body": {"text": body},
            "action": {
                "name": "cta_url",
                "parameters": {
                    "display_text": shorten(title, CTA_DISPLAY_LIMIT),
                    "url": url,
                },
            },
        },
    )


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
    links = [(button, url) for button in buttons if (url := link_button(button))]
    if links:
        # A link opens a page, it must not come back as a reply: one cta_url message per link
        # (WhatsApp allows one URL button per message), the other buttons after them.
        lead, body = _body_and_lead(to, text)
        first, *more = links
        sent = [*lead, cta_url_message(to, body, str(first[0].get("title") or ""), first[1])]
        for button, url in more:
            sent.append(cta_url_message(to, MORE_OPTIONS, str(button.get("title") or ""), url))
        rest = [button for button in buttons if not link_button(button)]
        return sent + (button_messages(to, MORE_OPTIONS, rest) if rest else [])
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

    >>> describe(envelope("4915112345678", "text", {"body": "IBAN DE89…"}))
    'text message to …5678'
    """
    kind = str(message.get("type"))
    if kind == "interactive":
        kind = f"interactive {message['interactive'].get('type')}"
    return f"{kind} message to {masked_id(message.get('to', ''))}"
