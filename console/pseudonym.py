"""Pseudonymisation of what staff see: names, e-mail addresses, phone numbers and street
addresses become typed placeholders, the same value the same placeholder within a conversation.

The model is Estonia's Bürokratt anonymiser (a named-entity model plus regular expressions whose
hits are replaced by typed placeholders): a reviewer still reads *that* a name or an e-mail was
given and where the dialogue went, not *whose*. This module has no language model, so it finds
values in two ways:

- what the conversation itself knows: the slots the forms fill (`account_holder`, `email`, the
  address slots, ...), the entities the NLU extracted (`person_name`, `email`) and the number a
  WhatsApp sender id carries (`whatsapp:<number>`); each such value is replaced wherever it
  appears, in any event;
- patterns: e-mail addresses, phone numbers (a leading `+`, `00` or `0` and 7 to 15 digits),
  street + house number (a street of the city's register in `data/streets.yml`, or a word ending
  in -straße, -weg, -gasse, ...) with an optional postcode and town, and a postcode before a
  town name.

A name the conversation never stored in a slot or entity and that no pattern finds (a name in
free text) is NOT found: that is the limit of a model-free anonymiser, and the reason why the
conversation view still masks every slot value it does not know to be harmless.

IBANs were masked by the tracker store before they were written (`bot/redaction.py`); the
masked form passes through unchanged.

>>> p = Pseudonymizer()
>>> p.learn("NAME", "Erika Mustermann")
>>> p.text("Ich bin Erika Mustermann, erika@example.org, Tel. 0176 1234 5678")
'Ich bin [NAME_1], [EMAIL_1], Tel. [PHONE_1]'
>>> p.text("Frau Mustermann schreibt wieder: ERIKA@example.org")
'Frau [NAME_1] schreibt wieder: [EMAIL_1]'
>>> p.text("Abholung Bahnhofstraße 12, 35037 Marburg am 01.03.2026, Kassenzeichen 4100.2026.0001")
'Abholung [ADDRESS_1] am 01.03.2026, Kassenzeichen 4100.2026.0001'
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

NAME, EMAIL, PHONE, ADDRESS = "NAME", "EMAIL", "PHONE", "ADDRESS"
KINDS = (NAME, EMAIL, PHONE, ADDRESS)
PLACEHOLDER = re.compile(r"\[(?:NAME|EMAIL|PHONE|ADDRESS)_\d+\]")

# The slots of the forms (bot/domain) whose values are personal data of these kinds. A slot
# that may hold either an e-mail or a phone number is classified by its value.
SLOT_KINDS: dict[str, str | None] = {
    "account_holder": NAME,
    "certificate_person": NAME,
    "dog_owner": NAME,
    "appointment_name": NAME,
    "callback_name": NAME,
    "email": EMAIL,
    "appointment_email": EMAIL,
    "debtor_address": ADDRESS,
    "certificate_address": ADDRESS,
    "waste_address": ADDRESS,
    "dog_address": ADDRESS,
    "callback_contact": None,  # e-mail or phone
    "readback_value": None,  # whatever the form reads back: classified by pattern only
}
ENTITY_KINDS = {"person_name": NAME, "email": EMAIL}
# Channels whose sender id is the citizen's phone number.
PHONE_CHANNELS = ("whatsapp:",)
# Values under these keys are Rasa's structure (event types, slot, intent and action names),
# never a citizen's words.
STRUCTURAL_KEYS = frozenset(
    {"event", "name", "entity", "extractor", "policy", "input_channel", "action_name",
     "intent_name", "type_name", "role", "group", "processors", "timestamp", "confidence"}
)  # fmt: skip
# Parts of a name that are words of their own and must not be replaced everywhere.
NAME_PARTICLES = frozenset({"von", "van", "der", "den", "die", "das", "und", "zu", "vom", "zur"})

EMAIL_PATTERN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
PHONE_PATTERN = re.compile(r"(?<![\w*./-])(?:\+|00|0)\d[\d /().-]{4,22}\d(?![\w*])")
# Dates look like phone numbers that start with 0 (01.03.2026): they stay.
DATE_SHAPE = re.compile(r"\d{1,2}\.\d{1,2}\.\d{2,4}|\d{4}-\d{2}-\d{2}")
STREET_SUFFIX = (
    r"(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|pfad|ufer|steig|chaussee|markt)"
)
POSTCODE_TOWN = r"\d{5}\s+[A-ZÄÖÜ][\wäöüß-]+"
HOUSE_NUMBER = r"\d{1,4}(?:\s?[a-zA-Z])?(?![\w])(?:\s*[,;]?\s*" + POSTCODE_TOWN + r")?"


def _street_variants(street: str) -> list[str]:
    """A register street as citizens write it: 'Bahnhofstraße', 'Bahnhofstr.', 'Bahnhofstrasse'."""
    variants = [re.escape(street)]
    for suffix in ("straße", "Straße"):
        if street.endswith(suffix):
            stem = re.escape(street[: -len(suffix)])
            variants.append(stem + suffix[0] + r"(?:trasse|tr\.)")
    return variants


def address_pattern(streets: Iterable[str] = ()) -> re.Pattern[str]:
    longest_first = sorted(streets, key=len, reverse=True)
    names = [variant for street in longest_first for variant in _street_variants(street)]
    generic = r"[A-ZÄÖÜ][\wäöüß-]*" + STREET_SUFFIX
    street = "|".join([*names, generic])
    # the street in any case ("bahnhofstr. 3"), a town after a postcode only capitalised
    return re.compile(rf"(?<![\w-])(?:(?i:{street})\s*{HOUSE_NUMBER}|{POSTCODE_TOWN})")


def phone_digits(value: str) -> str:
    """A phone number's digits in national form, so notations of one number compare equal.

    >>> phone_digits("+49 176 1234-5678") == phone_digits("0176/12345678")
    True
    >>> phone_digits("4917612345678"), phone_digits("0049 176 12345678")
    ('017612345678', '017612345678')
    """
    digits = re.sub(r"\D", "", value)
    international = not value.strip().startswith("0") or value.strip().startswith("00")
    if value.strip().startswith("00"):
        digits = digits[2:]
    if international and digits.startswith("49"):
        digits = "0" + digits[2:]
    return digits


def _classify(value: str) -> str | None:
    if EMAIL_PATTERN.fullmatch(value.strip()):
        return EMAIL
    if PHONE_PATTERN.fullmatch(value.strip()) and not DATE_SHAPE.fullmatch(value.strip()):
        return PHONE
    return None


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


class Pseudonymizer:
    """The placeholders of one conversation. Learn its known values first, then replace."""

    def __init__(self, streets: Iterable[str] = (), allowed_phones: Iterable[str] = ()) -> None:
        self._address = address_pattern(streets)
        # public numbers (the city's switchboard) are not a citizen's data
        self._allowed_phones = {phone_digits(p) for p in allowed_phones}
        self._placeholders: dict[tuple[str, str], str] = {}
        self._counts: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._literals: dict[str, str] = {}  # casefolded literal -> placeholder
        self._literal_pattern: re.Pattern[str] | None = None

    # --- learning -------------------------------------------------------------------------
    def _key(self, kind: str, value: str) -> tuple[str, str]:
        if kind == PHONE:
            return kind, phone_digits(value)
        return kind, " ".join(value.split()).casefold()

    def placeholder(self, kind: str, value: str) -> str:
        key = self._key(kind, value)
        found = self._placeholders.get(key)
        if found is None:
            self._counts[kind] += 1
            found = f"[{kind}_{self._counts[kind]}]"
            self._placeholders[key] = found
        return found

    def learn(self, kind: str, value: str) -> None:
        """Remembers a value of the conversation, so it is replaced wherever it appears."""
        value = " ".join(str(value).split())
        if len(value) < 2 or PLACEHOLDER.fullmatch(value) or "*" in value:
            return  # nothing to hide, or already hidden (a masked IBAN)
        if kind == PHONE and phone_digits(value) in self._allowed_phones:
            return
        label = self.placeholder(kind, value)
        self._add_literal(value, label)
        if kind == NAME:
            for part in re.split(r"[\s,]+", value):
                if len(part) >= 3 and part[:1].isupper() and part.casefold() not in NAME_PARTICLES:
                    self._add_literal(part, label)
        if kind == PHONE:
            self._add_literal(phone_digits(value), label)
            self._add_literal(re.sub(r"\D", "", value), label)

    def _add_literal(self, literal: str, label: str) -> None:
        self._literals.setdefault(literal.casefold(), label)
        self._literal_pattern = None

    def learn_slot(self, name: str, value: Any) -> None:
        if name not in SLOT_KINDS:
            return
        for text in _strings(value):
            kind = SLOT_KINDS[name] or _classify(text)
            if kind is not None:
                self.learn(kind, text)

    def learn_sender(self, sender_id: str) -> None:
        for prefix in PHONE_CHANNELS:
            if sender_id.startswith(prefix):
                self.learn(PHONE, sender_id[len(prefix) :])

    def learn_events(self, sender_id: str, events: Iterable[Mapping[str, Any]]) -> None:
        self.learn_sender(sender_id)
        for data in events:
            kind = data.get("event")
            if kind == "slot":
                self.learn_slot(str(data.get("name")), data.get("value"))
            elif kind == "user":
                parse = data.get("parse_data") or {}
                entities = [*(parse.get("entities") or []), *(data.get("entities") or [])]
                for item in entities:
                    if isinstance(item, Mapping) and item.get("entity") in ENTITY_KINDS:
                        for text in _strings(item.get("value")):
                            self.learn(ENTITY_KINDS[str(item["entity"])], text)

    # --- replacing ------------------------------------------------------------------------
    def _literals_pattern(self) -> re.Pattern[str] | None:
        if not self._literals:
            return None
        if self._literal_pattern is None:
            alternatives = sorted(self._literals, key=len, reverse=True)
            self._literal_pattern = re.compile(
                r"(?<![\w@.])(?:" + "|".join(re.escape(a) for a in alternatives) + r")(?![\w@])",
                re.IGNORECASE,
            )
        return self._literal_pattern

    def _phone(self, match: re.Match[str]) -> str:
        found = match.group(0)
        if DATE_SHAPE.fullmatch(found) or phone_digits(found) in self._allowed_phones:
            return found
        digits = re.sub(r"\D", "", found)
        if not 7 <= len(digits) <= 15:
            return found
        return self.placeholder(PHONE, found)

    def text(self, text: str) -> str:
        """The text with every known value and every pattern hit replaced."""
        if not text:
            return text
        literal = self._literals_pattern()
        if literal is not None:
            text = literal.sub(lambda m: self._literals[m.group(0).casefold()], text)
        text = EMAIL_PATTERN.sub(lambda m: self.placeholder(EMAIL, m.group(0)), text)
        text = self._address.sub(lambda m: self.placeholder(ADDRESS, m.group(0)), text)
        return PHONE_PATTERN.sub(self._phone, text)

    def value(self, value: Any, key: str | None = None) -> Any:
        """Every string in a JSON-like value replaced (dictionary keys too), structure kept."""
        if isinstance(value, str):
            return value if key in STRUCTURAL_KEYS else self.text(value)
        if isinstance(value, Mapping):
            return {self.text(str(k)): self.value(v, str(k)) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(item, key) for item in value]
        return value

    def events(self, events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        return [self.value(dict(data)) for data in events]


class Pseudonyms:
    """What the console knows to pseudonymise with: the city's street register and public
    phone numbers (from the data folder), and the key of the conversations' handles."""

    def __init__(
        self, key: str, streets: Iterable[str] = (), allowed_phones: Iterable[str] = ()
    ) -> None:
        self._key = hashlib.sha256(("console pseudonyms\0" + key).encode()).digest()
        self.streets = tuple(streets)
        self.allowed_phones = tuple(allowed_phones)

    @classmethod
    def from_data(cls, key: str, data_dir: Path) -> Pseudonyms:
        streets: list[str] = []
        phones: list[str] = []
        register = data_dir / "streets.yml"
        if register.is_file():
            raw = yaml.safe_load(register.read_text(encoding="utf-8")) or {}
            streets = [str(s) for s in raw.get("streets") or []]
        city = data_dir / "city.yml"
        if city.is_file():
            text = city.read_text(encoding="utf-8")
            phones = re.findall(r"phone:\s*\"([^\"]+)\"", text)
        return cls(key, streets, phones)

    def handle(self, sender_id: str) -> str:
        """A conversation's stable pseudonym: names it in lists, links and the access log
        without showing its sender id (a phone number for WhatsApp)."""
        digest = hmac.new(self._key, sender_id.encode("utf-8"), hashlib.sha256).hexdigest()
        return "p-" + digest[:20]

    def for_conversation(
        self, sender_id: str, events: Iterable[Mapping[str, Any]]
    ) -> Pseudonymizer:
        result = Pseudonymizer(self.streets, self.allowed_phones)
        result.learn_events(sender_id, list(events))
        return result

    def pseudonymise(self, sender_id: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return self.for_conversation(sender_id, events).events(events)


HANDLE_SHAPE = re.compile(r"p-[0-9a-f]{20}")
