"""Mandates: creation with idempotency, signing, supersede, revoke, sealed PDF, masking."""

from __future__ import annotations

import hashlib
import io
import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg2
import pytest
from demo_dates import collection_day
from portal_harness import MANDATE, ROOT, MailSink, PortalProcess
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from test_portal_api import assert_problem

from tests.support import localhttp

pytestmark = pytest.mark.integration  # starts the real portal process

IBAN_DIGITS = "370400440532013000"


def new_key() -> str:
    return "key-" + uuid.uuid4().hex


def mandate_body(**changes: Any) -> dict[str, Any]:
    return {**MANDATE, "email": f"{uuid.uuid4().hex[:10]}@example.org", **changes}


def create(portal: PortalProcess, body: dict[str, Any], key: str | None = None) -> httpx.Response:
    # json.dumps escapes lone surrogates, which httpx's own encoder cannot send
    return portal.client().post(
        "/api/v1/mandates",
        content=json.dumps(body),
        headers={"Idempotency-Key": key or new_key(), "Content-Type": "application/json"},
    )


def create_and_sign(
    portal: PortalProcess, sink: MailSink, **changes: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    body = mandate_body(**changes)
    created = create(portal, body)
    assert created.status_code == 201, created.text
    mandate_id = created.json()["id"]
    code = sink.code_for(body["email"])
    signed = portal.client().post(f"/api/v1/mandates/{mandate_id}/sign", json={"code": code})
    assert signed.status_code == 200, signed.text
    return body, signed.json()


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_create_mails_a_code_and_masks_the_iban(portal: PortalProcess, sink: MailSink) -> None:
    body = mandate_body()
    response = create(portal, body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] == "pending_signature"
    assert created["iban_masked"] == "DE89 **** **** **** **30 00"
    assert re.fullmatch(r"[0-9a-f]{32}", created["id"])
    assert created["code_expires_at"].endswith("+00:00")
    assert re.fullmatch(r"[0-9]{6}", sink.code_for(body["email"]))


def test_same_key_same_body_replays_without_second_mail(
    portal: PortalProcess, sink: MailSink
) -> None:
    body, key = mandate_body(), new_key()
    first = create(portal, body, key)
    second = create(portal, body, key)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    sink.wait_for(body["email"])
    other = create(portal, mandate_body(kassenzeichen="4100.2026.0002", amount="60.00"))
    assert other.status_code == 201
    assert len(sink.to(body["email"])) == 1


def test_same_key_other_body_is_422(portal: PortalProcess) -> None:
    key = new_key()
    assert create(portal, mandate_body(), key).status_code == 201
    assert_problem(create(portal, mandate_body(account_holder="Max Mustermann"), key), 422)


def test_missing_or_bad_idempotency_key_is_400(portal: PortalProcess) -> None:
    client = portal.client()
    assert_problem(client.post("/api/v1/mandates", json=mandate_body()), 400)
    bad = client.post(
        "/api/v1/mandates", json=mandate_body(), headers={"Idempotency-Key": "x" * 300}
    )
    assert_problem(bad, 400)


def test_two_concurrent_creations_with_one_key_make_one_mandate(
    portal: PortalProcess, sink: MailSink
) -> None:
    body, key = mandate_body(kassenzeichen="4100.2026.0008", amount="72.00"), new_key()
    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(lambda _: create(portal, body, key), range(6)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    listed = portal.client().get("/api/v1/mandates", params={"kassenzeichen": "410020260008"})
    assert len(listed.json()["items"]) == 1
    sink.wait_for(body["email"])
    assert len(sink.to(body["email"])) == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"iban": "DE89 3704 0044 0532 0130 01"}, "iban"),
        ({"iban": "DE89 3704 0044 0532 0130 0"}, "iban"),
        ({"iban": "TR33 0006 1005 1978 6457 8413 26"}, "iban"),
        ({"iban": 12345}, "iban"),
        ({"email": "not-an-address"}, "email"),
        ({"account_holder": ""}, "account_holder"),
        ({"account_holder": "x" * 71}, "account_holder"),
        ({"account_holder": "Erika\u0000Mustermann"}, "account_holder"),
        ({"account_holder": "Erika \ud800"}, "account_holder"),
        ({"consent_text_version": "sepa-mandate-1999-9"}, "consent_text_version"),
        ({"channel": "Not A Channel!"}, "channel"),
        ({"amount": 48}, "amount"),
        ({"unknown": "field"}, "unknown"),
        ({"iban": "CH93 0076 2011 6238 5295 7"}, "bic"),
        ({"bic": None}, "bic"),
    ],
)
def test_create_refuses_bad_input(
    portal: PortalProcess, changes: dict[str, Any], field: str
) -> None:
    problem = assert_problem(create(portal, mandate_body(**changes)), 422)
    assert field in problem["errors"], problem  # type: ignore[operator]


def test_missing_field_is_422(portal: PortalProcess) -> None:
    body = mandate_body()
    del body["email"]
    assert "email" in assert_problem(create(portal, body), 422)["errors"]  # type: ignore[operator]


def test_non_eea_iban_with_bic_and_address_is_accepted(portal: PortalProcess) -> None:
    body = mandate_body(
        iban="CH93 0076 2011 6238 5295 7",
        bic="UBSWCHZH80A",
        debtor_address={
            "street": "Bahnhofstrasse 1",
            "postcode": "8001",
            "city": "Zürich",
            "country": "CH",
        },
        kassenzeichen="4100.2026.0004",
        amount="36.20",
    )
    response = create(portal, body)
    assert response.status_code == 201, response.text
    assert response.json()["iban_masked"] == "CH93 **** **** **** *295 7"


def test_unknown_invoice_is_404(portal: PortalProcess) -> None:
    assert_problem(create(portal, mandate_body(amount="47.99")), 404)
    assert_problem(create(portal, mandate_body(kassenzeichen="9999.9999.9999")), 404)


def test_sign_activates_and_answers_the_contract(portal: PortalProcess, sink: MailSink) -> None:
    body, signed = create_and_sign(portal, sink, kassenzeichen="4100.2026.0002", amount="60.00")
    assert signed["status"] == "active"
    assert re.fullmatch(r"410020260002-[0-9]{3}", signed["mandate_reference"])
    assert signed["creditor_id"] == "DE98ZZZ09999999999"
    assert signed["creditor_name"] == "Universitätsstadt Marburg"
    assert signed["sequence_type"] == "FRST"
    assert signed["first_collection_date"] == collection_day(portal, "2027-01-15").isoformat()
    assert re.fullmatch(
        re.escape(f"{portal.url}/documents/{signed['id']}/") + r"[0-9a-f]{32}\.pdf",
        signed["document_url"],
    )
    confirmation = sink.wait_for(body["email"], 2)[1]
    text = confirmation.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert signed["mandate_reference"] in text
    assert "DE98ZZZ09999999999" in text
    assert "Vorabankündigung" in text and "14 Tage" in text
    attachments = list(confirmation.iter_attachments())
    assert attachments[0].get_content_type() == "application/pdf"
    assert attachments[0].get_content().startswith(b"%PDF")
    again = portal.client().post(f"/api/v1/mandates/{signed['id']}/sign", json={"code": "000000"})
    assert_problem(again, 409)


def test_wrong_codes_count_down_and_the_third_rejects(
    portal: PortalProcess, sink: MailSink
) -> None:
    body = mandate_body(kassenzeichen="4100.2026.0005", amount="850.00")
    mandate_id = create(portal, body).json()["id"]
    bad = wrong(sink.code_for(body["email"]))
    client = portal.client()
    for left, status in [(2, "pending_signature"), (1, "pending_signature"), (0, "rejected")]:
        problem = assert_problem(
            client.post(f"/api/v1/mandates/{mandate_id}/sign", json={"code": bad}), 422
        )
        assert problem["attempts_left"] == left
        assert problem["mandate_status"] == status
    assert client.get(f"/api/v1/mandates/{mandate_id}").json()["status"] == "rejected"
    right = sink.code_for(body["email"])
    assert_problem(client.post(f"/api/v1/mandates/{mandate_id}/sign", json={"code": right}), 409)


@pytest.mark.parametrize("code", ["12345", "1234567", 123456, "12345a", ""])
def test_sign_refuses_malformed_codes(portal: PortalProcess, code: object) -> None:
    mandate_id = create(portal, mandate_body()).json()["id"]
    response = portal.client().post(f"/api/v1/mandates/{mandate_id}/sign", json={"code": code})
    assert "code" in assert_problem(response, 422)["errors"]  # type: ignore[operator]


def test_unknown_mandate_ids_are_404(portal: PortalProcess) -> None:
    client = portal.client()
    for mandate_id in ["0" * 32, "not-an-id", "%00"]:
        assert_problem(client.get(f"/api/v1/mandates/{mandate_id}"), 404)
        assert_problem(client.get(f"/api/v1/mandates/{mandate_id}/document"), 404)
        assert_problem(client.post(f"/api/v1/mandates/{mandate_id}/revoke"), 404)
        assert_problem(client.post(f"/api/v1/mandates/{mandate_id}/resend-code"), 404)
        sign = client.post(f"/api/v1/mandates/{mandate_id}/sign", json={"code": "123456"})
        assert_problem(sign, 404)


def test_a_new_code_is_mailed_at_most_once_a_minute(portal: PortalProcess, sink: MailSink) -> None:
    body = mandate_body()
    mandate_id = create(portal, body).json()["id"]
    code = sink.code_for(body["email"])
    client = portal.client()
    for _ in range(3):  # a flood of resends mails nothing more
        problem = assert_problem(client.post(f"/api/v1/mandates/{mandate_id}/resend-code"), 429)
        wait = int(problem["retry_after"])  # type: ignore[call-overload]
        assert 1 <= wait <= 60
        assert "Sekunden" in str(problem["detail"])
    assert len(sink.to(body["email"])) == 1
    signed = client.post(f"/api/v1/mandates/{mandate_id}/sign", json={"code": code})
    assert signed.status_code == 200, signed.text  # the first code still works


def test_document_is_404_until_signed(portal: PortalProcess) -> None:
    mandate_id = create(portal, mandate_body()).json()["id"]
    assert_problem(portal.client().get(f"/api/v1/mandates/{mandate_id}/document"), 404)


def test_sealed_pdf_validates_against_the_demo_certificate(
    portal: PortalProcess, sink: MailSink
) -> None:
    _body, signed = create_and_sign(portal, sink, kassenzeichen="4100.2026.0003", amount="123.45")
    response = portal.client().get(f"/api/v1/mandates/{signed['id']}/document")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfFileReader(io.BytesIO(response.content))
    assert len(reader.embedded_signatures) == 1
    root = load_cert_from_pemder(str(portal.var_dir / "keys" / "seal-cert.pem"))
    status = validate_pdf_signature(
        reader.embedded_signatures[0], ValidationContext(trust_roots=[root])
    )
    assert status.intact and status.valid and status.trusted, status.summary()
    assert status.bottom_line
    # the page's text is stored uncompressed (WinAnsi), so the mandate's words can be found
    assert f"Mandatsreferenz: {signed['mandate_reference']}".encode() in response.content
    assert b"innerhalb von acht Wochen" in response.content
    assert b"DE98ZZZ09999999999" in response.content
    assert IBAN_DIGITS.encode() not in response.content


def test_second_signed_mandate_supersedes_the_first(portal: PortalProcess, sink: MailSink) -> None:
    _b1, first = create_and_sign(portal, sink)
    _b2, second = create_and_sign(portal, sink, iban="AT61 1904 3002 3457 3201")
    assert first["mandate_reference"] != second["mandate_reference"]
    client = portal.client()
    assert client.get(f"/api/v1/mandates/{first['id']}").json()["status"] == "superseded"
    assert client.get(f"/api/v1/mandates/{second['id']}").json()["status"] == "active"
    lookup = client.post(
        "/api/v1/invoices/lookup", json={"kassenzeichen": "4100.2026.0001", "amount": "48.00"}
    ).json()
    assert lookup["active_mandate_id"] == second["id"]
    assert lookup["payment_state"] == "direct_debit"
    items = client.get("/api/v1/mandates", params={"kassenzeichen": "4100.2026.0001"}).json()
    active = [m for m in items["items"] if m["status"] == "active"]
    assert [m["id"] for m in active] == [second["id"]]
    assert all("*" in m["iban_masked"] for m in items["items"])


def test_revoke_once(portal: PortalProcess, sink: MailSink) -> None:
    _body, signed = create_and_sign(portal, sink, kassenzeichen="4100.2026.0004", amount="36.20")
    client = portal.client()
    revoked = client.post(f"/api/v1/mandates/{signed['id']}/revoke")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked"
    assert revoked.json()["revoked_at"]
    assert_problem(client.post(f"/api/v1/mandates/{signed['id']}/revoke"), 409)


def test_list_needs_a_valid_kassenzeichen(portal: PortalProcess) -> None:
    client = portal.client()
    assert_problem(client.get("/api/v1/mandates"), 422)
    assert_problem(client.get("/api/v1/mandates", params={"kassenzeichen": "12"}), 422)
    empty = client.get("/api/v1/mandates", params={"kassenzeichen": "9999.9999.9999"})
    assert empty.json() == {"items": []}


def test_clear_iban_is_in_no_response_log_or_database(
    portal: PortalProcess, sink: MailSink
) -> None:
    create_and_sign(portal, sink, kassenzeichen="4100.2026.0001", amount="48.00")
    items = portal.client().get("/api/v1/mandates", params={"kassenzeichen": "410020260001"})
    assert IBAN_DIGITS not in items.text
    assert IBAN_DIGITS not in portal.log()
    assert "Bearer" not in portal.log()
    assert IBAN_DIGITS not in database_dump(portal)


def database_dump(portal: PortalProcess) -> str:
    if portal.db_url.startswith("sqlite:///"):
        path = Path(portal.db_url.removeprefix("sqlite:///"))
        files = [path, path.with_name(path.name + "-wal")]
        return "".join(p.read_bytes().decode("latin-1") for p in files if p.exists())
    with psycopg2.connect(portal.db_url, connect_timeout=5) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema='public'"
        )
        tables = [row[0] for row in cursor.fetchall()]
        dump = []
        for table in tables:
            cursor.execute(f'SELECT * FROM "{table}"')  # names from the catalogue, not input
            dump.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(dump)


def test_failed_creations_count_for_the_throttle(portal: PortalProcess) -> None:
    body = mandate_body(kassenzeichen="1234.5678.9012")
    for _ in range(5):
        assert_problem(create(portal, body), 404)
    throttled = create(portal, body)
    assert_problem(throttled, 429)
    assert int(throttled.headers["retry-after"]) > 0


def test_concurrent_signing_with_the_right_code_signs_once(
    portal: PortalProcess, sink: MailSink
) -> None:
    body = mandate_body(kassenzeichen="4100.2026.0002", amount="60.00")
    mandate_id = create(portal, body).json()["id"]
    code = sink.code_for(body["email"])

    def sign(_: int) -> int:
        url = f"/api/v1/mandates/{mandate_id}/sign"
        return portal.client().post(url, json={"code": code}).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = sorted(pool.map(sign, range(4)))
    assert statuses == [200, 409, 409, 409]


def test_concurrent_signing_of_two_mandates_leaves_one_active(
    portal: PortalProcess, sink: MailSink
) -> None:
    bodies = [mandate_body(kassenzeichen="4100.2026.0008", amount="72.00") for _ in range(2)]
    ids = [create(portal, body).json()["id"] for body in bodies]
    codes = [sink.code_for(body["email"]) for body in bodies]

    def sign(index: int) -> httpx.Response:
        url = f"/api/v1/mandates/{ids[index]}/sign"
        return portal.client().post(url, json={"code": codes[index]})

    with ThreadPoolExecutor(max_workers=2) as pool:
        signed = list(pool.map(sign, range(2)))
    assert [r.status_code for r in signed] == [200, 200]
    references = {r.json()["mandate_reference"] for r in signed}
    assert len(references) == 2
    items = portal.client().get("/api/v1/mandates", params={"kassenzeichen": "410020260008"})
    statuses = sorted(m["status"] for m in items.json()["items"] if m["id"] in ids)
    assert statuses == ["active", "superseded"]


def test_evidence_records_the_signing(portal: PortalProcess, sink: MailSink) -> None:
    body, signed = create_and_sign(portal, sink, kassenzeichen="4100.2026.0005", amount="850.00")
    mandate = portal.client().get(f"/api/v1/mandates/{signed['id']}").json()
    evidence = mandate["evidence"]
    text = (ROOT / "data" / "consent" / "sepa-mandate-2026-1.de.txt").read_text(encoding="utf-8")
    rendered = text.replace("{creditor_name}", "Universitätsstadt Marburg").replace(
        "{creditor_id}", "DE98ZZZ09999999999"
    )
    assert evidence["consent_sha256"] == hashlib.sha256(rendered.encode("utf-8")).hexdigest()
    assert evidence["consent_text_version"] == "sepa-mandate-2026-1"
    assert evidence["channel"] == "test"
    assert evidence["code_check"]["result"] == "matched"
    assert evidence["created_at"] <= evidence["code_sent_at"] <= evidence["signed_at"]
    assert evidence["mandate_reference"] == signed["mandate_reference"]
    assert body["email"] not in json.dumps(mandate)


def test_the_citizens_document_link_needs_no_token_and_cannot_be_guessed(
    portal: PortalProcess, sink: MailSink
) -> None:
    _body, signed = create_and_sign(portal, sink, kassenzeichen="4100.2026.0006", amount="312.00")
    link = signed["document_url"]
    opened = localhttp.get(link, timeout=10)  # no Authorization header, as in a citizen's browser
    assert opened.status_code == 200
    assert opened.headers["content-type"] == "application/pdf"
    assert opened.content.startswith(b"%PDF")
    base, name = link.rsplit("/", 1)
    forged = base + "/" + ("0" * 32) + ".pdf"
    other_id = link.replace(signed["id"], "f" * 32)
    for wrong in (forged, other_id, base + "/" + name.removesuffix(".pdf"), base):
        assert_problem(localhttp.get(wrong, timeout=10), 404)
