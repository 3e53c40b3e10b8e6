"""Issue 15 on the running system (REST channel, the development IdP of `python -m bot serve`):
the citizen follows the chat's login link through the IdP, and the chat goes on by itself
when the portal tells it how the login ended (Rasa's trigger_intent). Every way a login can
fail leaves nothing signed and is told in the chat; the e-mail code still signs where the
city's policy allows it (data/signing.yml: up to 1,000 EUR in the demo city); revoking a
mandate and ordering a certificate need the login (level substantial), and only the signer or
the account holder may revoke.

Each test takes a demo invoice no other test of this module signs on, and first revokes what
other tests of the shared stack left active on it (with the holder's login, as the policy
demands).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import clock
from actions.services.submit import payload
from tests.support import localhttp
from tests.support.idp import (
    link_buttons,
    login,
    revoke_active_mandates,
    said_after_login,
    sign_in,
    tracker_events,
)
from tests.support.mail import MailFolder
from tests.support.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]

IBAN = "DE02 1203 0000 0000 2020 51"
REFERENCE = re.compile(r"SR-[0-9]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


@pytest.fixture
def portal(stack: Stack) -> Iterator[httpx.Client]:
    with stack.portal_client() as client:
        yield client


class Citizen:
    """One conversation over REST, with what the chat said by itself after a login."""

    def __init__(self, stack: Stack, name: str) -> None:
        self.stack = stack
        self.sender = f"e2e-signing-{name}-{uuid.uuid4().hex[:8]}"
        self.replies: list[dict[str, Any]] = []

    def say(self, message: str) -> str:
        self.replies = self.stack.say(self.sender, message)
        return "\n".join(str(reply.get("text", "")) for reply in self.replies)

    def link(self) -> str:
        (link,) = link_buttons(self.replies)
        return link

    def events(self) -> int:
        return len(self.tracker_events())

    def tracker_events(self) -> list[dict[str, Any]]:
        url, token = self.stack.url("RASA_PORT"), self.stack.env["RASA_JWT_SECRET"]
        return tracker_events(url, token, self.sender)

    def after_login(self, known: int) -> str:
        url, token = self.stack.url("RASA_PORT"), self.stack.env["RASA_JWT_SECRET"]
        return "\n".join(said_after_login(url, token, self.sender, known))

    def slots(self) -> dict[str, Any]:
        events = self.tracker_events()
        slots: dict[str, Any] = {}
        for event in events:
            if event.get("event") == "slot":
                slots[str(event["name"])] = event.get("value")
        return slots


def mail(stack: Stack) -> MailFolder:
    return MailFolder(Path(stack.env.get("MAIL_DIR") or Path(stack.env["VAR_DIR"]) / "mail"))


def up_to_the_choice(citizen: Citizen, kassenzeichen: str, amount: str, holder: str) -> str:
    """A payment up to the signing step; returns the e-mail address the code went to."""
    address = f"signing.{uuid.uuid4().hex[:8]}@example.de"
    citizen.say("Ich möchte meine Rechnung per Lastschrift bezahlen")
    citizen.say(f"Kassenzeichen {kassenzeichen}, {amount} Euro")
    citizen.say(holder)
    citizen.say(IBAN)
    assert "Ich ermächtige" in citizen.say(address)
    choice = citizen.say("Ja")
    assert "Code" in choice and "Online-Ausweis" in choice, choice
    return address


def mandate_ids(portal: httpx.Client, kassenzeichen: str) -> set[str]:
    found = portal.get("/api/v1/mandates", params={"kassenzeichen": kassenzeichen})
    found.raise_for_status()
    return {str(m["id"]) for m in found.json()["items"]}


def status(portal: httpx.Client, mandate_id: str) -> str:
    return str(portal.get(f"/api/v1/mandates/{mandate_id}").json()["status"])


def new_mandate(portal: httpx.Client, kassenzeichen: str, before: set[str]) -> str:
    """The one mandate the conversation created on the invoice."""
    (made,) = mandate_ids(portal, kassenzeichen) - before
    return made


def test_the_login_chosen_in_the_chat_signs_at_level_high(
    stack: Stack, portal: httpx.Client
) -> None:
    revoke_active_mandates(portal, "4100.2026.0009")
    before = mandate_ids(portal, "4100.2026.0009")
    citizen = Citizen(stack, "high")
    up_to_the_choice(citizen, "4100.2026.0009", "66,00", "Sabine Wagner")
    link_text = citizen.say("/sign_with_bundid")
    assert "Online-Ausweis" in link_text and "Vertrauensniveau" in link_text
    known = citizen.events()
    page = sign_in(citizen.link(), "sabine")
    assert page.status_code == 200 and "Unterschrieben" in page.text
    said = citizen.after_login(known)  # the citizen writes nothing: the chat goes on by itself
    assert "Mit Ihrem Online-Ausweis unterschrieben (Vertrauensniveau hoch)" in said
    mandate = portal.get(f"/api/v1/mandates/{new_mandate(portal, '4100.2026.0009', before)}")
    signed = mandate.json()
    assert signed["status"] == "active" and signed["mandate_reference"] in said
    assert signed["evidence"]["signature"]["level_of_assurance"] == "high"
    assert _active_loop(citizen) is None


def test_cancel_at_the_idp_then_the_email_code_still_signs(
    stack: Stack, portal: httpx.Client
) -> None:
    revoke_active_mandates(portal, "4100.2026.0004")
    before = mandate_ids(portal, "4100.2026.0004")
    citizen = Citizen(stack, "cancel")
    address = up_to_the_choice(citizen, "4100.2026.0004", "36,20", "Aylin Yılmaz")
    citizen.say("/sign_with_bundid")
    known = citizen.events()
    page = sign_in(citizen.link(), "aylin", action="cancel")
    assert page.status_code == 400 and "abgebrochen" in page.text
    said = citizen.after_login(known)
    assert "Die Anmeldung wurde abgebrochen" in said and "nichts unterschrieben" in said
    made = new_mandate(portal, "4100.2026.0004", before)
    assert status(portal, made) == "pending_signature"
    # where the city allows it for the amount, the mailed code still signs
    signed = citizen.say(mail(stack).code_for(address))
    assert "Mandatsreferenz" in signed
    assert status(portal, made) == "active"


def test_another_persons_login_creates_nothing(stack: Stack, portal: httpx.Client) -> None:
    revoke_active_mandates(portal, "4100.2026.0008")
    before = mandate_ids(portal, "4100.2026.0008")
    citizen = Citizen(stack, "mismatch")
    up_to_the_choice(citizen, "4100.2026.0008", "72,00", "Peter Hoffmann")
    citizen.say("/sign_with_bundid")
    known = citizen.events()
    page = sign_in(citizen.link(), "mallory")  # Malte Fremd
    assert page.status_code == 403 and "Kontoinhaber" in page.text
    said = citizen.after_login(known)
    assert "nicht die Kontoinhaberin bzw. der Kontoinhaber (Peter Hoffmann)" in said
    assert "nichts angelegt" in said
    assert status(portal, new_mandate(portal, "4100.2026.0008", before)) == "pending_signature"
    assert citizen.slots().get("mandate_reference") is None
    assert _active_loop(citizen) is None


def _active_loop(citizen: Citizen) -> str | None:
    loops = [e for e in citizen.tracker_events() if e.get("event") == "active_loop"]
    return str(loops[-1].get("name")) if loops and loops[-1].get("name") else None


def test_an_expired_link_signs_nothing(stack: Stack, portal: httpx.Client) -> None:
    revoke_active_mandates(portal, "4100.2026.0006")
    before = mandate_ids(portal, "4100.2026.0006")
    citizen = Citizen(stack, "expired")
    up_to_the_choice(citizen, "4100.2026.0006", "312,00", "Lena Becker")
    citizen.say("/sign_with_bundid")
    link = citizen.link()
    known = citizen.events()
    # the citizen opens the link in time, then stays at the IdP longer than the link lives
    acs, fields = login(link, "lena", "lena-ausweis")
    clock_file = Path(stack.env[clock.FILE_SETTING])
    clock.set_time(clock_file, dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=60))
    try:
        page = localhttp.post(acs, data=fields, timeout=30)
        assert page.status_code >= 400 and "abgelaufen" in page.text, page.text
        # the portal tells the chat on its clock, an hour on: time stays there meanwhile
        said = citizen.after_login(known)
    finally:
        clock.real_time(clock_file)
    assert "Der Link ist abgelaufen" in said and "nichts unterschrieben" in said
    assert status(portal, new_mandate(portal, "4100.2026.0006", before)) == "pending_signature"
    assert localhttp.get(link, timeout=30).status_code == 409  # the link worked once


def test_revocation_needs_the_login_of_the_holder(stack: Stack, portal: httpx.Client) -> None:
    revoke_active_mandates(portal, "4100.2026.0003")
    before = mandate_ids(portal, "4100.2026.0003")
    payer = Citizen(stack, "revoke-pay")
    address = up_to_the_choice(payer, "4100.2026.0003", "123,45", "Jonas Schmidt")
    assert "Mandatsreferenz" in payer.say(mail(stack).code_for(address))
    mandate = new_mandate(portal, "4100.2026.0003", before)
    assert status(portal, mandate) == "active"
    # without a login the portal refuses (the chat never tries)
    refused = portal.post(f"/api/v1/mandates/{mandate}/revoke")
    assert refused.status_code == 403 and "Anmeldung" in refused.text

    stranger = Citizen(stack, "revoke-stranger")
    stranger.say("Ich möchte mein Lastschriftmandat widerrufen")
    stranger.say("Kassenzeichen 4100.2026.0003, 123,45 Euro")
    assert "Zum Widerrufen melden Sie sich bitte" in stranger.say("Ja")
    known = stranger.events()
    sign_in(stranger.link(), "mallory")
    said = stranger.after_login(known)
    assert "Widerrufen dürfen nur" in said and "nichts geändert" in said
    assert status(portal, mandate) == "active"

    holder = Citizen(stack, "revoke-holder")
    holder.say("Ich möchte mein Lastschriftmandat widerrufen")
    holder.say("Kassenzeichen 4100.2026.0003, 123,45 Euro")
    holder.say("Ja")
    known = holder.events()
    assert sign_in(holder.link(), "jonas").status_code == 200  # level substantial suffices
    said = holder.after_login(known)
    assert "ist widerrufen" in said
    assert status(portal, mandate) == "revoked"


CERTIFICATE = {
    "certificate_type": "geburtsurkunde",
    "certificate_person": "Erika Mustermann",
    "certificate_event_date": "1985-03-12",
    "certificate_event_place": "Marburg",
    "certificate_copies": 1.0,
    "certificate_address": "Erika Mustermann, Markt 9, 35037 Marburg",
}


def test_a_certificate_is_ordered_only_after_the_login(stack: Stack, portal: httpx.Client) -> None:
    citizen = Citizen(stack, "certificate")
    for message in [
        "ich brauche eine geburtsurkunde",
        "Erika Mustermann",
        "12.3.1985",
        "in Marburg",
        "ein Exemplar",
        "Erika Mustermann, Markt 9, 35037 Marburg",
    ]:
        citizen.say(message)
    link_text = citizen.say("ja")
    assert "Personenstandsurkunde gibt es nur nach einer Anmeldung" in link_text
    assert not REFERENCE.search(link_text)  # nothing filed before the login
    # the portal files no certificate for this conversation without its completed login
    kind, fields = payload("certificate_form", CERTIFICATE)
    fields.update(type=kind, conversation_id=citizen.sender, channel="rest")
    refused = portal.post("/api/v1/service-requests", json=fields)
    assert refused.status_code == 403 and "Anmeldung" in refused.text, refused.text
    known = citizen.events()
    assert sign_in(citizen.link(), "erika-elster").status_code == 200  # substantial
    said = citizen.after_login(known)
    references = REFERENCE.findall(said)
    assert references, said
    filed = portal.get(f"/api/v1/service-requests/{references[-1]}")
    assert filed.status_code == 200 and filed.json()["type"] == "certificate"
