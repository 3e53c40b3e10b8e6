"""Limits and guessing at the running portal (HTTP): per-client and per-subject failure limits on
invoice and status lookups, random references, status only for the citizen who filed, and a
mail to the account holder on every revocation."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from portal_harness import MailSink, PortalProcess
from test_portal_api import assert_problem
from test_portal_mandates import create, create_and_sign, mandate_body

from rules import request_reference

pytestmark = pytest.mark.integration  # starts the real portal process

PER_CLIENT = 10  # the defaults (docs/settings.md: LOOKUP_FAILURES_PER_*)
PER_SUBJECT = 5


def as_client(sender: str, channel: str | None = "rest") -> dict[str, str]:
    headers = {"X-Client-Id": quote(sender, safe="")}
    if channel:
        headers["X-Client-Channel"] = channel
    return headers


def new_client() -> str:
    return "limits-" + uuid.uuid4().hex


def unknown_kassenzeichen() -> str:
    digits = f"{uuid.uuid4().int % 10**8:08d}"
    return f"9900.{digits[:4]}.{digits[4:]}"


def lookup(portal: PortalProcess, kassenzeichen: str, amount: str, sender: str) -> httpx.Response:
    return portal.client().post(
        "/api/v1/invoices/lookup",
        json={"kassenzeichen": kassenzeichen, "amount": amount},
        headers=as_client(sender),
    )


def test_a_client_trying_many_kassenzeichen_is_stopped(portal: PortalProcess) -> None:
    guesser = new_client()
    for _ in range(PER_CLIENT):
        assert_problem(lookup(portal, unknown_kassenzeichen(), "10.00", guesser), 404)
    # now even a right pair is refused to this client, before the invoice is looked at
    refused = assert_problem(lookup(portal, "4100.2026.0002", "60.00", guesser), 429)
    assert refused["limit"] == "client"
    assert "Gespräch" in str(refused["detail"])
    response = lookup(portal, "4100.2026.0002", "60.00", guesser)
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    # another client (and the back office without the header) is not hindered by it
    assert lookup(portal, "4100.2026.0002", "60.00", new_client()).status_code == 200
    assert (
        portal.client()
        .post(
            "/api/v1/invoices/lookup",
            json={"kassenzeichen": "4100.2026.0002", "amount": "60.00"},
        )
        .status_code
        == 200
    )


def test_a_kassenzeichen_tried_from_many_clients_is_stopped(portal: PortalProcess) -> None:
    target = unknown_kassenzeichen()
    for _ in range(PER_SUBJECT):
        assert_problem(lookup(portal, target, "10.00", new_client()), 404)
    refused = assert_problem(lookup(portal, target, "10.00", new_client()), 429)
    assert refused["limit"] == "kassenzeichen"


def test_status_failures_count_toward_the_same_client_limit(portal: PortalProcess) -> None:
    guesser = new_client()
    for _ in range(PER_CLIENT // 2):
        assert_problem(lookup(portal, unknown_kassenzeichen(), "10.00", guesser), 404)
    for _ in range(PER_CLIENT - PER_CLIENT // 2):
        body = {"reference": request_reference.generate(2026), "second_fact": "35037"}
        missed = portal.client().post(
            "/api/v1/service-requests/lookup", json=body, headers=as_client(guesser)
        )
        assert_problem(missed, 404)
    assert assert_problem(lookup(portal, "4100.2026.0002", "60.00", guesser), 429)["limit"] == (
        "client"
    )


@pytest.mark.parametrize(
    ("headers", "field"),
    [
        ({"X-Client-Id": "%ff%fe"}, "X-Client-Id"),
        ({"X-Client-Id": "%20%20"}, "X-Client-Id"),
        ({"X-Client-Id": "a" * 600}, "X-Client-Id"),
        ({"X-Client-Id": "%0a%0d"}, "X-Client-Id"),
        ({"X-Client-Id": "anna", "X-Client-Channel": "no spaces"}, "X-Client-Channel"),
        ({"X-Client-Channel": "rest"}, "X-Client-Id"),
    ],
)
def test_a_malformed_client_header_is_400(
    portal: PortalProcess, headers: dict[str, str], field: str
) -> None:
    response = portal.client().post(
        "/api/v1/invoices/lookup",
        json={"kassenzeichen": "4100.2026.0002", "amount": "60.00"},
        headers=headers,
    )
    problem = assert_problem(response, 400)
    assert field in problem["errors"]  # type: ignore[operator]


def file_request(portal: PortalProcess, sender: str, **changes: Any) -> str:
    body = {
        "type": "dog_registration",
        "owner_name": "Max Mustermann",
        "address": "Biegenstraße 3, 35037 Marburg",
        "dog_name": "Bello",
        "breed": "Mischling",
        "acquired_on": "2026-10-01",
        "conversation_id": sender,
        "channel": "rest",
        **changes,
    }
    created = portal.client().post("/api/v1/service-requests", json=body)
    assert created.status_code == 201, created.text
    return str(created.json()["reference"])


def test_references_are_random_and_self_checking(portal: PortalProcess) -> None:
    sender = new_client()
    made = [file_request(portal, sender) for _ in range(4)]
    assert all(request_reference.validate(value) == value for value in made)
    assert len(set(made)) == 4
    # not a counter: the random parts share no common prefix beyond chance
    assert len({value[8:] for value in made}) == 4


def test_status_only_for_the_filing_conversation_or_the_second_fact(
    portal: PortalProcess,
) -> None:
    owner = new_client()
    reference = file_request(portal, owner)
    client = portal.client()
    # the filing conversation sees it, by the GET route and the lookup alike
    mine = client.get(f"/api/v1/service-requests/{reference}", headers=as_client(owner))
    assert mine.status_code == 200 and mine.json()["type"] == "dog_registration"
    looked = client.post(
        "/api/v1/service-requests/lookup",
        json={"reference": reference.lower().replace("-", " ")},
        headers=as_client(owner),
    )
    assert looked.status_code == 200
    # the same sender id on another channel is another conversation
    other_channel = client.get(
        f"/api/v1/service-requests/{reference}", headers=as_client(owner, "telegram")
    )
    assert other_channel.status_code == 404

    # another conversation learns nothing: the very answer an unknown reference gets
    stranger = as_client(new_client())
    theirs = client.get(f"/api/v1/service-requests/{reference}", headers=stranger)
    nobody = client.get(
        f"/api/v1/service-requests/{request_reference.generate(2026)}",
        headers=as_client(new_client()),
    )
    assert_problem(theirs, 404)
    assert theirs.json() == nobody.json()
    wrong = client.post(
        "/api/v1/service-requests/lookup",
        json={"reference": reference, "second_fact": "Markt 9"},
        headers=as_client(new_client()),
    )
    assert_problem(wrong, 404)
    assert wrong.json() == nobody.json()

    # the second fact given at filing opens it from any conversation
    for fact in ("biegenstr. 3", "35037"):
        found = client.post(
            "/api/v1/service-requests/lookup",
            json={"reference": reference, "second_fact": fact},
            headers=as_client(new_client()),
        )
        assert found.status_code == 200, (fact, found.text)
        assert found.json()["reference"] == reference


def test_a_reference_tried_from_many_clients_is_stopped(portal: PortalProcess) -> None:
    reference = file_request(portal, new_client())
    for _ in range(PER_SUBJECT):
        missed = portal.client().post(
            "/api/v1/service-requests/lookup",
            json={"reference": reference, "second_fact": "Steinweg 1"},
            headers=as_client(new_client()),
        )
        assert_problem(missed, 404)
    # while throttled even the right fact is refused; the filing conversation is not
    refused = portal.client().post(
        "/api/v1/service-requests/lookup",
        json={"reference": reference, "second_fact": "Biegenstraße 3"},
        headers=as_client(new_client()),
    )
    assert assert_problem(refused, 429)["limit"] == "reference"


def test_a_malformed_reference_in_the_lookup_is_422(portal: PortalProcess) -> None:
    problem = assert_problem(
        portal.client().post("/api/v1/service-requests/lookup", json={"reference": "4711"}), 422
    )
    assert "reference" in problem["errors"]  # type: ignore[operator]
    typo = assert_problem(
        portal.client().post(
            "/api/v1/service-requests/lookup", json={"reference": "SR-2026-7KQM-4XD9"}
        ),
        422,
    )
    assert "checksum" in str(typo["errors"])


def test_every_revocation_is_mailed_to_the_holder(portal: PortalProcess, sink: MailSink) -> None:
    body, signed = create_and_sign(portal, sink, kassenzeichen="4100.2026.0004", amount="36.20")
    revoked = portal.client().post(f"/api/v1/mandates/{signed['id']}/revoke")
    assert revoked.status_code == 200, revoked.text
    mail = sink.wait_for(body["email"], 3)[2]  # code, confirmation, revocation
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert signed["mandate_reference"] in str(mail["Subject"])
    assert str(mail["Subject"]).startswith("SEPA-Lastschriftmandat")  # German first
    assert signed["mandate_reference"] in text and "4100.2026.0004" in text
    assert "nicht selbst veranlasst" in text and "Did you not do this yourself" in text
    assert text.index("Guten Tag") < text.index("Hello")
    assert "steuer@marburg-stadt.de" in text  # whom to tell, from the city's data

    # a mandate revoked before it was signed: its holder is told too
    pending = mandate_body(kassenzeichen="4100.2026.0004", amount="36.20")
    created = create(portal, pending)
    assert created.status_code == 201, created.text
    assert portal.client().post(f"/api/v1/mandates/{created.json()['id']}/revoke").is_success
    notice = sink.wait_for(pending["email"], 2)[1]  # code, revocation
    assert "widerrufen" in str(notice["Subject"])
    notice_text = notice.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "noch nicht unterschriebenes" in notice_text and "4100.2026.0004" in notice_text
