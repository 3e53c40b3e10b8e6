"""Issue 14 end to end: a mandate's life told through the conversation.

A citizen (REST channel, German) pays a demo invoice by direct debit; the treasury exports the
first collection; the citizen revokes and signs again with another account; a second export
must not submit the same due date again; the bank returns the first debit (AM04). At each step
the portal's state (its API), the mails the citizen got and what the chat said must agree.

Every contradiction between the chat and the portal is collected and named in one failure.

Invoice 4100.2026.0005 (one due date) is used by no other test of the shared stack; the
collection assertions look only at this invoice, so other tests' collections on the same day
do not matter.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.idp import link_buttons, said_after_login, sign_in, tracker_events
from tests.support.mail import MailFolder
from tests.support.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]

KASSENZEICHEN = "4100.2026.0005"
AMOUNT = "850,00 Euro"
FIRST_IBAN = "DE89 3704 0044 0532 0130 00"
SECOND_IBAN = "DE02 1203 0000 0000 2020 51"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"}
_DATE_DE = re.compile(r"am ([0-9]{2})\.([0-9]{2})\.([0-9]{4}) abgebucht")
_REFERENCE = re.compile(r"Mandatsreferenz: ([^\s.]+(?:\.[^\s.]+)*)\.")


@pytest.fixture
def portal(stack: Stack) -> Iterator[httpx.Client]:
    with stack.portal_client() as client:
        yield client


def mail_folder(stack: Stack) -> MailFolder:
    return MailFolder(Path(stack.env.get("MAIL_DIR") or Path(stack.env["VAR_DIR"]) / "mail"))


def say(stack: Stack, sender: str, message: str) -> str:
    return "\n".join(str(reply.get("text", "")) for reply in stack.say(sender, message))


def sign(stack: Stack, iban: str, address: str) -> str:
    """A whole payment conversation; returns the chat's last answer (the confirmation)."""
    sender = "e2e-life-" + uuid.uuid4().hex[:8]
    for message in [
        "Ich möchte meine Rechnung per Lastschrift bezahlen",
        f"Kassenzeichen {KASSENZEICHEN}, {AMOUNT}",
        "Jonas Schmidt",  # a test identity of the development IdP: he may revoke with a login
        iban,
        address,
        "Ja",
    ]:
        say(stack, sender, message)
    return say(stack, sender, mail_folder(stack).code_for(address))


def told_date(text: str) -> str | None:
    """The first debit date the chat announced, ISO, or None if it announced none."""
    found = _DATE_DE.search(text)
    return f"{found.group(3)}-{found.group(2)}-{found.group(1)}" if found else None


def told_reference(text: str) -> str:
    found = _REFERENCE.search(text)
    assert found, f"no mandate reference in the confirmation: {text!r}"
    return found.group(1)


def mandates(portal: httpx.Client) -> dict[str, dict[str, Any]]:
    response = portal.get("/api/v1/mandates", params={"kassenzeichen": KASSENZEICHEN})
    assert response.status_code == 200, response.text
    return {m["mandate_reference"]: m for m in response.json()["items"] if m["mandate_reference"]}


def collections(portal: httpx.Client) -> list[dict[str, Any]]:
    response = portal.get("/api/v1/collections", params={"kassenzeichen": KASSENZEICHEN})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def new_batch(portal: httpx.Client, day: str) -> ET.Element | None:
    response = portal.post("/api/v1/exports/batches", params={"collection_date": day})
    if response.status_code == 204:
        return None
    assert response.status_code == 201, response.text
    return ET.fromstring(response.content)


def ours(document: ET.Element | None) -> list[ET.Element]:
    """The transactions of this invoice in a pain.008 file."""
    if document is None:
        return []
    return [
        tx
        for tx in document.iterfind(".//p:DrctDbtTxInf", NS)
        if (tx.findtext(".//p:RmtInf/p:Ustrd", "", NS)).startswith(f"Kassenzeichen {KASSENZEICHEN}")
    ]


def pain002(end_to_end_id: str, reason: str) -> bytes:
    """The bank's reject of one debit (pain.002.001.10)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>
<GrpHdr><MsgId>STS-LIFE</MsgId><CreDtTm>2027-01-01T10:00:00</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>X</OrgnlMsgId><OrgnlMsgNmId>pain.008.001.08</OrgnlMsgNmId>
<GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>X-FRST</OrgnlPmtInfId><TxInfAndSts>
<OrgnlEndToEndId>{end_to_end_id}</OrgnlEndToEndId><TxSts>RJCT</TxSts>
<StsRsnInf><Rsn><Cd>{reason}</Cd></Rsn></StsRsnInf></TxInfAndSts></OrgnlPmtInfAndSts>
</CstmrPmtStsRpt></Document>""".encode()


def body_of(mail: Any) -> str:
    return str(mail.get_body(("plain",)).get_content())


def test_sign_export_resign_return_the_chat_tells_what_the_portal_holds(
    stack: Stack, portal: httpx.Client
) -> None:
    mail = mail_folder(stack)
    first_address = f"clara.{uuid.uuid4().hex[:6]}@example.de"
    second_address = f"clara.{uuid.uuid4().hex[:6]}@example.de"

    # 1. sign: the chat's reference and first debit date are the portal's
    confirmed = sign(stack, FIRST_IBAN.lower(), first_address)
    first_reference = told_reference(confirmed)
    first = mandates(portal)[first_reference]
    assert first["status"] == "active"
    assert first["first_collection_date"] is not None
    assert told_date(confirmed) == first["first_collection_date"]
    first_day = first["first_collection_date"]
    confirmation = mail.wait_for(first_address, 2)[1]
    assert first_reference in body_of(confirmation)
    (planned,) = [c for c in collections(portal) if c["mandate_id"] == first["id"]]
    assert planned["collection_date"] == first_day and planned["status"] == "notified"
    assert planned["prenotified"]  # the confirmation is the first notice

    # 2. the treasury exports the first collection date: the debit goes to the bank once
    exported = ours(new_batch(portal, first_day))
    assert len(exported) == 1
    end_to_end_id = exported[0].findtext(".//p:EndToEndId", "", NS)
    assert exported[0].findtext(".//p:MndtId", "", NS) == first_reference
    (submitted,) = [c for c in collections(portal) if c["end_to_end_id"] == end_to_end_id]
    assert submitted["status"] == "exported" and submitted["batch_id"]

    # 3. the citizen revokes and signs again with another account
    sender = "e2e-life-revoke-" + uuid.uuid4().hex[:8]
    say(stack, sender, "Ich möchte mein Lastschriftmandat widerrufen")
    asked = say(stack, sender, f"Kassenzeichen {KASSENZEICHEN}, {AMOUNT}")
    assert first_reference in asked
    link = stack.say(sender, "Ja")  # the city's policy: revoking needs a login
    known = len(tracker_events(stack.url("RASA_PORT"), stack.env["RASA_JWT_SECRET"], sender))
    (url,) = link_buttons(link)
    assert sign_in(url, "jonas").status_code == 200
    revoked = "\n".join(
        said_after_login(stack.url("RASA_PORT"), stack.env["RASA_JWT_SECRET"], sender, known)
    )
    assert first_reference in revoked and "widerrufen" in revoked
    assert mandates(portal)[first_reference]["status"] == "revoked"
    assert "widerrufen" in str(mail.wait_for(first_address, 3)[2]["Subject"])

    resigned = sign(stack, SECOND_IBAN, second_address)
    second_reference = told_reference(resigned)
    assert second_reference != first_reference
    second = mandates(portal)[second_reference]
    assert second["status"] == "active"
    renewed = body_of(mail.wait_for(second_address, 2)[1])
    assert second_reference in renewed
    contradictions: list[str] = []
    # the only due date is already with the bank: the portal plans no debit from the new
    # account (and its mail says so); the chat must not announce one
    assert second["first_collection_date"] is None
    assert "keine Lastschrift offen" in renewed
    if told_date(resigned) != second["first_collection_date"]:
        contradictions.append(
            f"after re-signing the chat announced a debit on {told_date(resigned)}, the portal"
            " plans none (first_collection_date null): actions/payment/finish.py falls back to"
            " the invoice's due date"
        )

    # 4. a second export does not submit the same due date again
    assert ours(new_batch(portal, first_day)) == []
    live = [c for c in collections(portal) if c["status"] != "cancelled"]
    assert [c["end_to_end_id"] for c in live] == [end_to_end_id]

    # 5. the bank returns the first debit: the portal marks it, the citizen is mailed in German
    imported = portal.post("/api/v1/collections/returns", content=pain002(end_to_end_id, "AM04"))
    assert imported.status_code == 200, imported.text
    assert imported.json()["matched"] == 1
    (returned,) = [c for c in collections(portal) if c["end_to_end_id"] == end_to_end_id]
    assert returned["status"] == "returned" and returned["return_reason"] == "AM04"
    told = mail.wait_for(first_address, 4)[3]
    assert "zurückgegeben (AM04)" in str(told["Subject"])
    assert "nicht gedeckt" in body_of(told) and first_reference in body_of(told)

    # 6. asked afterwards, the chat does not contradict the portal: nothing is collected now
    sender = "e2e-life-ask-" + uuid.uuid4().hex[:8]
    asked = say(stack, sender, f"Wurde meine Rechnung {KASSENZEICHEN} schon bezahlt?")
    assert "Betrag" in asked, asked  # the same proof as for paying: the amount
    answer = say(stack, sender, AMOUNT)
    assert KASSENZEICHEN in answer and "bezahlt. Vielen Dank" not in answer, answer
    pending = [c for c in collections(portal) if c["status"] in ("planned", "notified", "exported")]
    if not pending and "abgebucht" in answer:
        contradictions.append(
            "after the return the chat says the amount will be debited on the due date, the"
            " portal has nothing left to collect (its only collection is returned, AM04):"
            " /api/v1/invoices/lookup answers direct_debit whenever a mandate is active"
        )
    assert not contradictions, "; ".join(contradictions)
