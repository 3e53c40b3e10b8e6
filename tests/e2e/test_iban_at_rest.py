"""Issue 13, points 2 and 3 on the running system (the session's `stack`): IBANs a citizen types
in the notations people really use, over the REST channel, are nowhere in clear afterwards (the
tracker store's rows and file, Rasa's tracker API, the console's conversation page and exports,
also after an admin's reveal); and no IBAN handle left in a conversation's history opens anything
once the payment was signed or cancelled (each one is tried on the running action server)."""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from bot.rasa_auth import bearer
from console.pseudonym import Pseudonyms
from rules import iban
from tests.e2e.console.staff_http import Staff
from tests.e2e.test_payment import code_for
from tests.support import localhttp
from tests.support.idp import without_active_mandates
from tests.support.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]

START = "Ich möchte meine Rechnung per Lastschrift bezahlen"
INVOICE = "Kassenzeichen 4100.2026.0004, 36,20 Euro"  # tests here never sign it, others do
HOLDER = "Aylin Yılmaz"
# (message, the IBANs in it): spaces of odd widths, dots, dashes, line breaks, lower case,
# "IBAN:" prefixes, two IBANs in one message
NOTATIONS = [
    ("de89 3704 0044 0532 0130 00", ["DE89370400440532013000"]),
    ("IBAN:  AT61\u00a01904\u2009 3002   3457 3201", ["AT611904300234573201"]),
    ("NL91.ABNA.0417.1643.00", ["NL91ABNA0417164300"]),
    ("BE68-5390-0754-7034", ["BE68539007547034"]),
    ("FR14 2004\n1010 0505\n0001 3M02 606", ["FR1420041010050500013M02606"]),
    (
        "iban: es91 2100 0418 4502 0005 1332, die alte war IT60-X054-2811-1010-0000-0123-456",
        ["ES9121000418450200051332", "IT60X0542811101000000123456"],
    ),
]
OUTSIDE_A_FORM = (
    "Hallo, meine Kontonummer ist IBAN:DE02120300000000202051 und die alte\n"
    "GB29 NWBK 6016 1331 9268 19",
    ["DE02120300000000202051", "GB29NWBK60161331926819"],
)
NUMBERS = [number for _, numbers in [*NOTATIONS, OUTSIDE_A_FORM] for number in numbers]
SEPARATORS = re.compile(r"[\s.\-/:_]+")
REASON = "Prüfung der IBAN-Maskierung durch den automatischen Test (Ticket 13)"


def strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value, dictionary keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def assert_no_clear_iban(text: str, where: str) -> None:
    """Nothing the finder takes for an IBAN, and none of the test's IBANs or their account
    digits in any spelling."""
    assert iban.find_all(text) == [], f"{where}: {[f.number for f in iban.find_all(text)]}"
    compact = SEPARATORS.sub("", text).upper()
    for number in NUMBERS:
        assert number not in compact, f"{where}: {number}"
        assert number[4:] not in compact, f"{where}: the account part of {number}"


def texts(stack: Stack, sender: str, message: str) -> str:
    return "\n".join(str(reply.get("text", "")) for reply in stack.say(sender, message))


def rasa(stack: Stack) -> httpx.Client:
    return localhttp.Client(
        base_url=stack.url("RASA_PORT"),
        headers=bearer(stack.env["RASA_JWT_SECRET"], "tests"),
        timeout=30,
    )


def tracker_events(stack: Stack, sender: str) -> list[dict[str, Any]]:
    with rasa(stack) as client:
        answer = client.get(f"/conversations/{quote(sender, safe='')}/tracker")
    answer.raise_for_status()
    events: list[dict[str, Any]] = answer.json()["events"]
    return events


def stored_rows(stack: Stack, senders: list[str]) -> list[str]:
    """The tracker store's rows of these conversations, as Rasa's SQL store keeps them."""
    database = stack.env["TRACKER_DB_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        marks = ",".join("?" * len(senders))
        rows = connection.execute(
            f"SELECT data FROM events WHERE sender_id IN ({marks})", senders
        ).fetchall()
    return [str(row[0]) for row in rows]


def test_ibans_in_odd_notations_are_nowhere_in_clear(stack: Stack) -> None:
    in_form = "e2e-iban-odd-" + uuid.uuid4().hex[:8]
    outside = "e2e-iban-free-" + uuid.uuid4().hex[:8]
    without_active_mandates(stack, "4100.2026.0004")  # else the form asks about that mandate
    texts(stack, in_form, START)
    assert "Straßenreinigung" in texts(stack, in_form, INVOICE)
    texts(stack, in_form, HOLDER)
    for message, numbers in NOTATIONS:
        reply = texts(stack, in_form, message)
        # the form took it as an IBAN (and says so masked): the masking had real work to do
        assert iban.mask(numbers[-1]) in reply or iban.mask(numbers[0]) in reply, reply
    texts(stack, in_form, "abbrechen")
    texts(stack, outside, OUTSIDE_A_FORM[0])
    senders = [in_form, outside]

    # the tracker store: each row of these conversations, and the database's files as bytes
    rows = stored_rows(stack, senders)
    assert len(rows) > 20
    for row in rows:
        assert_no_clear_iban(row, "tracker row")
    folder = Path(stack.env["TRACKER_DB_URL"].removeprefix("sqlite:///")).parent
    for path in folder.glob("tracker.db*"):
        content = path.read_bytes().decode("utf-8", errors="replace")
        for number in NUMBERS:
            assert number not in content and number[4:] not in content, path.name

    # Rasa's tracker API, every string and key of every event
    for sender in senders:
        events = tracker_events(stack, sender)
        user_texts = [e.get("text") for e in events if e.get("event") == "user"]
        assert len(user_texts) >= (len(NOTATIONS) if sender == in_form else 1)
        for text in strings(events):
            assert_no_clear_iban(text, f"tracker API of {sender}")

    # the console: conversation page and exports, before and after an admin's reveal
    env = stack.env
    admin = Staff.sign_in(
        stack.url("CONSOLE_PORT"), env["CONSOLE_ADMIN_USER"], env["CONSOLE_ADMIN_PASSWORD"]
    )
    pseudonyms = Pseudonyms(env["CONSOLE_SESSION_SECRET"])
    for sender in senders:
        handle = pseudonyms.handle(sender)
        pages = ["", "/export/story.yml", "/export/nlu.yml", "/export/raw.json"]
        for page in pages:
            answer = admin.get(f"/conversations/{handle}{page}")
            assert answer.status_code == 200, (page, answer.status_code)
            assert_no_clear_iban(answer.text, f"console {page or 'page'}")
        assert admin.post(f"/conversations/{handle}/reveal", reason=REASON).status_code == 302
        shown = admin.get(f"/conversations/{handle}")
        assert 'id="revealed"' in shown.text  # the admin sees the conversation as stored
        assert_no_clear_iban(shown.text, "revealed console page")
        assert_no_clear_iban(admin.get(f"/conversations/{handle}/export/raw.json").text, "raw")


def test_no_iban_handle_in_the_history_opens_anything_after_signing_or_cancelling(
    stack: Stack,
) -> None:
    suffix = uuid.uuid4().hex[:6]
    without_active_mandates(stack, "4100.2026.0009")  # other tests may have signed it
    signer, address = f"e2e-vault-sign-{suffix}", f"sabine.{suffix}@example.de"
    for message in (
        START,
        "Kassenzeichen 4100.2026.0009, 66,00 Euro",
        "Sabine Wagner",
        "DE89 3704 0044 0532 0130 00",
        "AT61 1904 3002 3457 3201",  # a second IBAN replaces the first: two handles
        address,
    ):
        texts(stack, signer, message)
    assert "Code" in texts(stack, signer, "Ja")
    assert "Mandatsreferenz" in texts(stack, signer, code_for(stack, address))

    canceller = f"e2e-vault-cancel-{suffix}"
    without_active_mandates(stack, "4100.2026.0004")
    for message in (START, INVOICE, HOLDER, "BE68 5390 0754 7034", f"c.{suffix}@example.de"):
        texts(stack, canceller, message)
    assert "kein Mandat" in texts(stack, canceller, "abbrechen")

    handles = [
        str(event["value"])
        for sender in (signer, canceller)
        for event in tracker_events(stack, sender)
        if event.get("event") == "slot" and event.get("name") == "iban_token" and event["value"]
    ]
    assert len(set(handles)) == 3, handles

    # Each handle is put into a third conversation waiting for the consent; its "Ja" makes
    # the action server open the handle: a handle that opened would create a mandate.
    probe = f"e2e-vault-probe-{suffix}"
    for message in (START, INVOICE, HOLDER, "NL91 ABNA 0417 1643 00"):
        texts(stack, probe, message)
    assert "Ich ermächtige" in texts(stack, probe, f"p.{suffix}@example.de")
    try:
        for handle in handles:
            with rasa(stack) as client:
                appended = client.post(
                    f"/conversations/{probe}/tracker/events",
                    json={"event": "slot", "name": "iban_token", "value": handle},
                )
            assert appended.status_code == 200, appended.text
            assert tracker_events(stack, probe)[-1]["value"] == handle
            reply = texts(stack, probe, "Ja")
            assert "behalte ich eine IBAN nur kurze Zeit" in reply, reply
            assert "Ich ermächtige" in texts(stack, probe, "NL91 ABNA 0417 1643 00")
    finally:
        texts(stack, probe, "abbrechen")
