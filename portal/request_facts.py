"""The second fact a citizen gave when filing a service request, as proof on a status lookup.

A status lookup from another conversation than the filing one is answered only with one of
these facts: an e-mail address or phone number given as contact, or the postcode or the street
and house number of an address given in the request. Each is compared in a normal form, so
``markt 9`` matches ``Markt 9`` and ``0176 1234567`` matches ``+49 176 1234567``.

>>> stored = {"address": "Markt 9, 35037 Marburg", "contact": "Erika@Example.org"}
>>> sorted(on_file(stored))
['address:markt9', 'email:erika@example.org', 'postcode:35037']
>>> matches(stored, " markt 9 "), matches(stored, "35037"), matches(stored, "erika@example.org")
(True, True, True)
>>> matches(stored, "Markt 10"), matches(stored, "35039"), matches(stored, "")
(False, False, False)
>>> matches({"contact": "0176 1234567"}, "+49 176 1234567")
True
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

ADDRESS_FIELDS = ("address", "delivery_address", "location")
CONTACT_FIELDS = ("contact", "email")
_POSTCODE = re.compile(r"(?<![0-9])([0-9]{5})(?![0-9])")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9][0-9 /()-]{5,22}[0-9]")
_STREET_WORD = re.compile(r"str(?:\.|(?=\s|[0-9]|$))")


def _street(text: str) -> str | None:
    """Street and house number in a normal form; None without a house number."""
    first = text.split(",")[0].casefold().replace("ß", "ss")
    first = _STREET_WORD.sub("strasse", first)
    first = _POSTCODE.sub(" ", first)
    compact = "".join(char for char in first if char.isalnum())
    has_letters = any(char.isalpha() for char in compact)
    has_digits = any(char.isdigit() for char in compact)
    return compact if has_letters and has_digits else None


def _phone(text: str) -> str | None:
    if not _PHONE.fullmatch(text.strip()):
        return None
    digits = re.sub(r"[^0-9+]", "", text)
    if digits.startswith("+49"):
        digits = "0" + digits[3:]
    elif digits.startswith("0049"):
        digits = "0" + digits[4:]
    return digits.lstrip("+")


def on_file(payload: Mapping[str, Any]) -> set[str]:
    """The facts a request holds, each as ``kind:value``."""
    found: set[str] = set()
    for name in CONTACT_FIELDS:
        value = payload.get(name)
        if isinstance(value, str):
            found |= given(value) - {f"address:{_street(value)}"}
    for name in ADDRESS_FIELDS:
        value = payload.get(name)
        if not isinstance(value, str):
            continue
        found |= {f"postcode:{code}" for code in _POSTCODE.findall(value)}
        street = _street(value)
        if street:
            found.add(f"address:{street}")
    return found


def given(text: str) -> set[str]:
    """What a fact typed by the citizen may be, each as ``kind:value``."""
    text = text.strip()
    if not text:
        return set()
    if _EMAIL.fullmatch(text):
        return {f"email:{text.casefold()}"}
    phone = _phone(text)
    if phone is not None:
        return {f"phone:{phone}"} | ({f"postcode:{text}"} if _POSTCODE.fullmatch(text) else set())
    if _POSTCODE.fullmatch(text):
        return {f"postcode:{text}"}
    street = _street(text)
    return {f"address:{street}"} if street else set()


def matches(payload: Mapping[str, Any], fact: str) -> bool:
    return bool(on_file(payload) & given(fact))
