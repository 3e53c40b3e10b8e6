"""Issue 5 end to end over REST with every service running: each request type is completed in
the chat, and the portal is then asked whether it holds the request the citizen was told about.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.support import localhttp
from tests.support.idp import link_buttons, said_after_login, sign_in, tracker_events
from tests.support.stack import Stack, next_weekday

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REFERENCE = re.compile(r"SR-[0-9]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")  # rules/request_reference.py
# The service number 115 as a number of its own: the welcome's privacy link carries the
# stack's random port (http://127.0.0.1:51157/datenschutz), which can hold the digits "115".
SERVICE_NUMBER = re.compile(r"(?<!\d)115(?!\d)")


def talk(stack: Stack, sender: str, message: str) -> tuple[str, list[dict[str, Any]]]:
    replies = stack.say(sender, message)
    text = "\n".join(str(reply.get("text", "")) for reply in replies)
    # the buttons of the last question (a welcome message may come first with its own)
    offered = [reply.get("buttons") for reply in replies if reply.get("buttons")]
    buttons: list[dict[str, Any]] = list(offered[-1]) if offered else []  # type: ignore[call-overload]
    return text, buttons


def conversation(stack: Stack, messages: list[str]) -> list[str]:
    """Sends the messages; ``<button>`` sends the payload of the last question's first button
    (``<button:2>`` the second's), ``<login:user>`` logs in at the development IdP through the
    last link button."""
    sender = "e2e-services-" + uuid.uuid4().hex[:8]
    said: list[str] = []
    buttons: list[dict[str, Any]] = []
    for message in messages:
        if message.startswith("<login:"):
            said.append(log_in(stack, sender, buttons, message[len("<login:") : -1]))
            continue
        if message == "<button>" or message.startswith("<button:"):
            number = int(message[len("<button:") : -1]) if ":" in message else 1
            assert len(buttons) >= number, f"not {number} buttons offered after {said[-1]!r}"
            message = str(buttons[number - 1]["payload"])
        text, buttons = talk(stack, sender, message)
        said.append(text)
    return said


def log_in(stack: Stack, sender: str, buttons: list[dict[str, Any]], username: str) -> str:
    """``<login:user>``: the citizen follows the link button through the development IdP as
    that test identity; returns what the chat said by itself afterwards."""
    (link,) = link_buttons([{"buttons": buttons}])
    rasa, token = stack.url("RASA_PORT"), stack.env["RASA_JWT_SECRET"]
    known = len(tracker_events(rasa, token, sender))
    assert sign_in(link, username).status_code == 200
    return "\n".join(said_after_login(rasa, token, sender, known))


def portal_request(stack: Stack, reference: str) -> dict[str, Any]:
    response = localhttp.get(
        f"{stack.url('PORTAL_PORT')}/api/v1/service-requests/{reference}",
        headers={"Authorization": f"Bearer {stack.env['PORTAL_API_TOKEN']}"},
        timeout=10,
    )
    response.raise_for_status()
    found: dict[str, Any] = response.json()
    return found


def filed(stack: Stack, said: list[str], kind: str) -> None:
    """The reference told to the citizen exists in the portal with the right type."""
    references = REFERENCE.findall("\n".join(said))
    assert references, said
    assert portal_request(stack, references[-1])["type"] == kind


def test_certificate_is_held_by_the_portal(stack: Stack) -> None:
    said = conversation(
        stack,
        [
            "ich brauche eine geburtsurkunde",
            "Erika Mustermann",
            "31.02.",
            "12.3.1985",
            "in Marburg",
            "zwei Exemplare",
            "Erika Mustermann, Markt 9, 35037 Marburg",
            "ja",
            "<login:erika>",  # a certificate only after a login (data/signing.yml)
        ],
    )
    assert "gibt es nicht" in said[2]  # the impossible date has its own message
    assert "18,00 €" in said[6]  # the fee is shown before sending
    assert "Anmeldung" in said[7] and not REFERENCE.search(said[7])  # nothing filed yet
    filed(stack, said, "certificate")
    assert "hilfreich" in said[-1]  # feedback is asked


def test_bulky_waste_is_held_by_the_portal(stack: Stack) -> None:
    said = conversation(
        stack,
        [
            "ich will sperrmuell anmelden",
            "Hauptstraße 1",
            "Ketzerbach 12",
            "Sofa, zwei Stühle und ein Schrank",
            "<button>",
            "ja",
            "nein",
        ],
    )
    assert "Straße kenne ich" in said[1]
    filed(stack, said, "bulky_waste")
    assert "Danke für Ihre Rückmeldung" in said[-1]


def test_issue_report_is_held_by_the_portal(stack: Stack) -> None:
    said = conversation(
        stack,
        [
            "there is a pothole in my street",
            "pothole",
            "the address is Universitätsstraße 7",
            "a deep hole in the road right in front of the driveway",
        ],
    )
    filed(stack, said, "issue_report")


def test_issue_at_a_shared_location(stack: Stack) -> None:
    said = conversation(
        stack,
        [
            "ich möchte ein schlagloch melden",
            "litter",
            "52.52000, 13.40500",  # Berlin: outside the city
            "50.80970, 8.77000",
            "überall liegen Glasscherben auf dem Gehweg",
        ],
    )
    assert "nicht als Adresse in Marburg" in said[2]
    filed(stack, said, "issue_report")


def test_dog_registration_is_held_by_the_portal(stack: Stack) -> None:
    said = conversation(
        stack,
        [
            "hund anmelden",
            "Erika Mustermann",
            "Am Grün 3, 35037 Marburg",
            "Bello",
            "ein Mischling",
            "seit gestern",
            "ja",
        ],
    )
    assert "60 €" in said[5]  # the catalogue's fee in the confirmation
    filed(stack, said, "dog_registration")


def test_appointment_is_booked_in_the_portal(stack: Stack) -> None:
    said = conversation(
        stack,
        [
            "ich brauche einen termin im stadtbüro",
            "<button>",
            # The first slot is the next quarter hour, which may begin while the citizen answers
            # (then it is rightly no longer bookable); the second is a quarter hour further.
            "<button:2>",
            "Erika Mustermann",
            f"erika.{uuid.uuid4().hex[:6]}@example.de",
            "ja",
        ],
    )
    assert "gebucht" in said[-1], said


def test_status_only_for_the_citizen_who_filed(stack: Stack) -> None:
    filer = "e2e-status-" + uuid.uuid4().hex[:8]
    filed = [
        talk(stack, filer, message)[0]
        for message in [
            "hund anmelden",
            "Erika Mustermann",
            "Markt 9",
            "Rex",
            "Dackel",
            "seit gestern",
            "ja",
        ]
    ]
    reference = REFERENCE.findall("\n".join(filed))[-1]
    # the conversation that filed it is told at once (after leaving the feedback question)
    talk(stack, filer, "abbrechen")
    talk(stack, filer, "status meiner meldung")
    assert "eingegangen" in talk(stack, filer, reference)[0]
    # another conversation: the format explained, then the second fact asked for
    said = conversation(stack, ["status meiner meldung", "4711", reference, "Markt 9"])
    assert "SR-2026-7KQM-4XDX" in said[1]  # the format is explained
    assert "Angabe aus Ihrem Antrag" in said[2] and reference not in said[2]
    assert "eingegangen" in said[3]
    # a stranger with a wrong fact learns as much as with a reference that does not exist
    wrong = conversation(stack, ["status meiner meldung", reference, "Steinweg 1"])
    unknown = conversation(stack, ["status meiner meldung", "SR-2026-000123", "Steinweg 1"])
    assert wrong[-1].replace(reference, "X") == unknown[-1].replace("SR-2026-000123", "X")
    assert "keine Auskunft" in wrong[-1]


def test_faq_answers_with_its_source(stack: Stack) -> None:
    said = conversation(stack, ["wie hoch ist die hundesteuer"])
    assert "60 €" in said[0] and "Quelle: https://" in said[0]


def test_person_within_service_hours_gets_a_call_back(
    stack: Stack, moment: Callable[[datetime], None]
) -> None:
    moment(next_weekday(1, 10))  # a Tuesday, 10:00: staff are on duty (data/catalogue)
    sender = "e2e-handoff-" + uuid.uuid4().hex[:8]
    text, _ = talk(stack, sender, "ich möchte mit einem menschen sprechen")
    assert not SERVICE_NUMBER.search(text) and "wieder da am" not in text, text
    for message in ("Erika Mustermann", "0176 98765432", "Frage zu meinem Grundsteuerbescheid"):
        text, _ = talk(stack, sender, message)
    reference = REFERENCE.findall(text)[-1]
    request = portal_request(stack, reference)
    assert request["type"] == "callback"
    assert talk(stack, sender, "hallo?")[0] == ""  # paused: staff take over


def test_person_outside_service_hours_gets_the_next_opening_and_115(
    stack: Stack, moment: Callable[[datetime], None]
) -> None:
    saturday = next_weekday(5, 12)
    moment(saturday)
    monday = saturday.date() + timedelta(days=2)
    sender = "e2e-handoff-" + uuid.uuid4().hex[:8]
    text, _ = talk(stack, sender, "ich möchte mit einem menschen sprechen")
    assert f"wieder da am Montag, {monday:%d.%m.%Y}, 08:00 Uhr" in text, text
    assert SERVICE_NUMBER.search(text), text
    state = localhttp.get(
        f"{stack.url('RASA_PORT')}/conversations/{sender}/tracker",
        params={"token": stack.env["RASA_AUTH_TOKEN"]},
        timeout=30,
    ).json()
    assert state["slots"]["handoff_open"] is False
    assert (state.get("active_loop") or {}).get("name") != "handoff_form"  # no call-back form
