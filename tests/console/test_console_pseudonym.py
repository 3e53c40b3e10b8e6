"""The console's pseudonymisation (console/pseudonym.py): typed placeholders, the same value
the same placeholder within a conversation, nothing of a known or pattern-found value left."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from console.pseudonym import PLACEHOLDER, Pseudonymizer, Pseudonyms, phone_digits

ROOT = Path(__file__).resolve().parents[2]
REGISTER = Pseudonyms.from_data("key", ROOT / "data")

FIRST = st.sampled_from(["Erika", "Jürgen", "Ayşe", "Marie-Luise", "Ole", "Zoë", "Björn"])
LAST = st.sampled_from(["Mustermann", "Özdemir", "Schäfer", "von Weizsäcker", "Nguyen", "Kowalski"])
LOCAL = st.from_regex(r"[a-z][a-z0-9._+-]{0,15}[a-z0-9]", fullmatch=True)
DOMAIN = st.from_regex(r"[a-z][a-z0-9-]{1,10}\.(de|org|com|eu)", fullmatch=True)
DIGITS = st.from_regex(r"[1-9][0-9]{6,9}", fullmatch=True)
HOUSE = st.integers(1, 250)
POSTCODE = st.sampled_from(["35037", "35039", "35041", "35043"])


@st.composite
def phones(draw: st.DrawFn) -> tuple[str, str]:
    """(as written, its national digits): the notations citizens use."""
    digits = draw(DIGITS)
    area, rest = digits[:3], digits[3:]
    written = draw(
        st.sampled_from(
            [
                f"0{area} {rest}",
                f"0{area}/{rest}",
                f"0{area}-{rest[:3]} {rest[3:]}",
                f"+49 {area} {rest}",
                f"+49 ({area}) {rest}",
                f"0049 {area} {rest}",
                f"+49{digits}",
            ]
        )
    )
    return written, "0" + digits


@st.composite
def addresses(draw: st.DrawFn) -> str:
    street = draw(st.sampled_from([*REGISTER.streets, "Lindenweg", "Am Rotenberg"]))
    if street == "Am Rotenberg":
        street = "Rotenbergstraße"
    written = street
    if street.endswith("straße") and draw(st.booleans()):
        written = street[: -len("straße")] + draw(st.sampled_from(["str.", "strasse"]))
    number = f"{draw(HOUSE)}{draw(st.sampled_from(['', 'a', ' b']))}"
    town = f", {draw(POSTCODE)} Marburg" if draw(st.booleans()) else ""
    return f"{written} {number}{town}"


TEMPLATES = st.sampled_from(
    [
        "Hallo, ich bin {name}. Mail: {email}, Telefon {phone}. Ich wohne {address}.",
        "{address} ist meine Adresse; erreichbar unter {phone} oder {email} – {name}",
        "Bitte an {email} schreiben ({name}, {address}, Tel: {phone})",
    ]
)


@settings(max_examples=150, deadline=None)
@given(FIRST, LAST, LOCAL, DOMAIN, phones(), addresses(), TEMPLATES)
def test_nothing_personal_survives(
    first: str,
    last: str,
    local: str,
    domain: str,
    phone: tuple[str, str],
    address: str,
    template: str,
) -> None:
    name, email = f"{first} {last}", f"{local}@{domain}"
    p = Pseudonymizer(REGISTER.streets)
    p.learn("NAME", name)  # a name is known from a slot or entity; the rest from patterns
    text = template.format(name=name, email=email, phone=phone[0], address=address)
    out = p.text(text)
    for value in (first, last.split()[-1], email, phone[0], address):
        assert value.casefold() not in out.casefold(), (value, out)
    assert phone[1][-6:] not in re.sub(r"\D", "", out)
    assert {"[NAME_1]", "[EMAIL_1]", "[PHONE_1]", "[ADDRESS_1]"} <= set(PLACEHOLDER.findall(out))


@settings(max_examples=60, deadline=None)
@given(phones(), LOCAL, DOMAIN)
def test_the_same_value_keeps_its_placeholder(
    phone: tuple[str, str], local: str, domain: str
) -> None:
    p = Pseudonymizer()
    email = f"{local}@{domain}"
    first = p.text(f"{email} / {phone[0]}")
    # another notation of the same number, the e-mail in capitals, and a second e-mail
    again = p.text(f"{phone[1]} und {email.upper()} und other@example.org")
    assert first == "[EMAIL_1] / [PHONE_1]"
    assert again == "[PHONE_1] und [EMAIL_1] und [EMAIL_2]"


def test_what_the_conversation_knows_is_learnt_from_its_events() -> None:
    events = [
        {"event": "user", "text": "ich bin Erika Mustermann", "input_channel": "whatsapp",
         "parse_data": {"intent": {"name": "inform"},
                        "entities": [{"entity": "person_name", "value": "Erika Mustermann"}]}},
        {"event": "slot", "name": "account_holder", "value": "Erika Mustermann"},
        {"event": "slot", "name": "callback_contact", "value": "0176 1234567"},
        {"event": "slot", "name": "dog_address", "value": "Ketzerbach 3"},
        {"event": "slot", "name": "language", "value": "de"},
        {"event": "bot", "text": "Danke, Frau Mustermann! Wir rufen 01761234567 an."},
        {"event": "user", "text": "Meine Nummer ist 4917612345678, Ketzerbach 3",
         "metadata": {"4917612345678": {"from": "4917612345678"}}},
    ]  # fmt: skip
    out = REGISTER.pseudonymise("whatsapp:4917612345678", events)
    text = repr(out)
    for clear in ("Erika", "Mustermann", "1234567", "4917612345678", "Ketzerbach 3"):
        assert clear not in text, clear
    assert out[0]["text"] == "ich bin [NAME_1]"
    assert out[1]["value"] == "[NAME_1]" and out[1]["name"] == "account_holder"
    assert out[3]["value"] == "[ADDRESS_1]"
    assert out[4]["value"] == "de" and out[0]["parse_data"]["intent"]["name"] == "inform"
    assert out[5]["text"] == "Danke, Frau [NAME_1]! Wir rufen [PHONE_2] an."
    assert out[6]["text"] == "Meine Nummer ist [PHONE_1], [ADDRESS_1]"
    assert out[6]["metadata"] == {"[PHONE_1]": {"from": "[PHONE_1]"}}


def test_what_stays_readable() -> None:
    p = Pseudonymizer(REGISTER.streets, REGISTER.allowed_phones)
    kept = (
        "Kassenzeichen 4100.2026.0001, Betrag 123,45 €, am 01.03.2026 oder 2026-03-01, "
        "Anliegen SR-2026-000123, IBAN DE89 **** **** **** **30 00, "
        "Bürgerbüro 06421 201-0, Sperrmüll in der Bahnhofstraße"
    )
    assert p.text(kept) == kept
    assert PLACEHOLDER.fullmatch("[NAME_12]") and not PLACEHOLDER.fullmatch("[NAME]")


def test_handles_are_stable_keyed_and_unlinkable() -> None:
    a, b = Pseudonyms("one key"), Pseudonyms("another key")
    assert a.handle("whatsapp:4917612345678") == a.handle("whatsapp:4917612345678")
    assert a.handle("whatsapp:4917612345678") != b.handle("whatsapp:4917612345678")
    assert re.fullmatch(r"p-[0-9a-f]{20}", a.handle("x"))
    assert phone_digits("+49 (176) 123-45") == "017612345"
