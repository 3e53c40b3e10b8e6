"""Issue 4 end to end: a citizen pays a demo invoice by direct debit over the REST channel, in
German and in English, with every service running (the session's `stack`, trained model
included). Afterwards the tracker database and every log are scanned for the IBAN's digits.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.support.idp import without_active_mandates
from tests.support.mail import MailFolder
from tests.support.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]

IBAN = "DE89 3704 0044 0532 0130 00"
# Any run of the account digits, grouped or not, counts as a leak.
LEAKS = ("370400440532013000", "3704 0044 0532", "3704004405320130", "0532 0130")
MAX_MESSAGES = 10


def texts(stack: Stack, sender: str, message: str) -> list[str]:
    return [str(reply.get("text", "")) for reply in stack.say(sender, message)]


def code_for(stack: Stack, address: str) -> str:
    """The latest signing code mailed to `address`, waiting for it (the portal mails through
    its outbox, possibly after the chat has answered)."""
    mail_dir = Path(stack.env.get("MAIL_DIR") or Path(stack.env["VAR_DIR"]) / "mail")
    return MailFolder(mail_dir).code_for(address)


def pay(stack: Stack, sender: str, messages: list[str], address: str) -> list[list[str]]:
    replies = [texts(stack, sender, message) for message in messages]
    replies.append(texts(stack, sender, code_for(stack, address)))
    return replies


def test_german_payment_in_at_most_ten_messages(stack: Stack) -> None:
    without_active_mandates(stack, "4100.2026.0006")
    address = f"lena.{uuid.uuid4().hex[:6]}@example.de"
    messages = [
        "Ich möchte meine Rechnung per Lastschrift bezahlen",
        "Kassenzeichen 4100.2026.0006, 312,00 Euro",
        "Lena Becker",
        IBAN.lower(),
        address,
        "Ja",
    ]
    replies = pay(stack, "e2e-pay-de-" + uuid.uuid4().hex[:8], messages, address)
    assert len(replies) <= MAX_MESSAGES
    text = "\n".join(line for reply in replies for line in reply)
    assert "Zweitwohnungsteuer" in text
    assert "DE89 **** **** **** **30 00" in text
    assert "Ich ermächtige" in text
    assert "Mandatsreferenz" in "\n".join(replies[-1])


def test_english_payment_in_at_most_ten_messages(stack: Stack) -> None:
    without_active_mandates(stack, "4100.2026.0008")
    address = f"peter.{uuid.uuid4().hex[:6]}@example.org"
    sender = "e2e-pay-en-" + uuid.uuid4().hex[:8]
    messages = [
        "Can we speak English?",
        "I want to pay an invoice by direct debit",
        "Kassenzeichen 4100.2026.0008, 72.00 EUR",
        "Peter Hoffmann",
        "AT61 1904 3002 3457 3201",
        address,
        "yes",
    ]
    replies = pay(stack, sender, messages, address)
    assert len(replies) <= MAX_MESSAGES
    assert "I authorise" in "\n".join(line for reply in replies for line in reply)
    assert "Mandate reference" in "\n".join(replies[-1])


def test_a_wrong_iban_is_explained_and_cancel_creates_nothing(stack: Stack) -> None:
    without_active_mandates(stack, "4100.2026.0003")
    sender = "e2e-pay-cancel-" + uuid.uuid4().hex[:8]
    texts(stack, sender, "Ich möchte meine Rechnung per Lastschrift bezahlen")
    texts(stack, sender, "Kassenzeichen 4100.2026.0003, 123,45 Euro")
    texts(stack, sender, "Jonas Schmidt")
    wrong = "\n".join(texts(stack, sender, "DE89 3704 0044 0532 0130 0"))
    assert "22" in wrong and "21" in wrong  # expected and actual length
    cancelled = "\n".join(texts(stack, sender, "abbrechen"))
    assert "kein Mandat" in cancelled


def test_no_clear_iban_in_the_tracker_store_or_the_logs(stack: Stack) -> None:
    without_active_mandates(stack, "4100.2026.0004")
    sender = "e2e-pay-privacy-" + uuid.uuid4().hex[:8]
    texts(stack, sender, "Ich möchte meine Rechnung per Lastschrift bezahlen")
    texts(stack, sender, f"Kassenzeichen 4100.2026.0004, 36,20 Euro, meine IBAN ist {IBAN}")
    texts(stack, sender, "abbrechen")
    stores = list(stack.folder.glob("tracker.db*"))
    assert stores, "no tracker database found"
    logs = [stack.log, *Path(stack.env["VAR_DIR"]).rglob("*.log")]
    for path in [*stores, *logs]:
        content = path.read_bytes().decode("utf-8", errors="replace")
        for leak in LEAKS:
            assert leak not in content, f"clear IBAN digits in {path.name}"
