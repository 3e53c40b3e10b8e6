"""pain.008.001.08 export batches: valid against the XSD and the EPC rules, on business days,
each collection in exactly one batch, FRST first and RCUR after; returns imported back.

Every test here has a portal of its own, because the treasury's steps act on every mandate in
the database and some tests move the time of those steps (BUERGERBOT_NOW)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sepaxml
import xmlschema
from demo_dates import collection_day, shifted, today
from portal_harness import MailSink, PortalProcess, database, portal_process
from test_portal_api import assert_problem
from test_portal_mandates import create_and_sign
from treasury_harness import run_collections

from portal import business_days, pain008

pytestmark = pytest.mark.integration  # starts the real portal process

XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.08.xsd"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"}
SCHEMA = xmlschema.XMLSchema(str(XSD))


@pytest.fixture
def own(db_kind: str, sink: MailSink, tmp_path: Path) -> Iterator[PortalProcess]:
    with (
        database(db_kind, tmp_path) as url,
        portal_process(url, tmp_path / "var", sink.port, OUTBOX_RETRY_SECONDS="1") as run,
    ):
        yield run


def checked(xml: str | bytes) -> xmlschema.XmlDocument:
    """Every exported file: valid against the XSD and free of EPC rule breaches."""
    text = xml.decode() if isinstance(xml, bytes) else xml
    SCHEMA.validate(text)
    assert pain008.epc_problems(text.encode()) == []
    return xmlschema.XmlDocument(text, validation="skip")


def export(portal: PortalProcess, day: dt.date) -> tuple[xmlschema.XmlDocument, str] | None:
    response = portal.client().get(
        "/api/v1/exports/pain.008", params={"collection_date": day.isoformat()}
    )
    if response.status_code == 204:
        return None
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    return checked(response.text), response.text


def texts(document: xmlschema.XmlDocument, path: str) -> list[str]:
    return [node.text for node in document.root.iterfind(path, NS)]


def moved(day: dt.date, hour: int = 9) -> str:
    """An instant on `day` for BUERGERBOT_NOW."""
    return f"{day.isoformat()}T{hour:02d}:00:00+00:00"


def schedule(portal: PortalProcess, kassenzeichen: str) -> list[dict[str, Any]]:
    response = portal.client().get("/api/v1/collections", params={"kassenzeichen": kassenzeichen})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_batches_frst_then_rcur_once_each_and_nothing_after_revoke(
    own: PortalProcess, sink: MailSink, tmp_path: Path
) -> None:
    body, signed = create_and_sign(own, sink, kassenzeichen="4100.2026.0003", amount="123.45")
    first = collection_day(own, "2027-02-15")
    assert signed["first_collection_date"] == first.isoformat()
    made = export(own, first)
    assert made is not None
    document, text = made
    assert texts(document, ".//p:PmtTpInf/p:SeqTp") == ["FRST"]
    assert texts(document, ".//p:ReqdColltnDt") == [first.isoformat()]
    assert signed["mandate_reference"] in text
    assert "DE89370400440532013000" in text  # the bank needs the clear IBAN
    assert "123.45" in text
    (remittance,) = texts(document, ".//p:RmtInf/p:Ustrd")
    assert remittance.startswith("Kassenzeichen 4100.2026.0003 ")
    batch_id = document.root.findtext(".//p:GrpHdr/p:MsgId", namespaces=NS)
    # the same batch again, byte for byte; nothing new for a new batch
    again = own.client().get("/api/v1/exports/pain.008", params={"collection_date": str(first)})
    assert again.text == text and again.headers["x-batch-id"] == batch_id
    assert own.client().get(f"/api/v1/exports/batches/{batch_id}").text == text
    nothing = own.client().post("/api/v1/exports/batches", params={"collection_date": str(first)})
    assert nothing.status_code == 204

    # the second instalment: announced by the scheduled job, then exported as RCUR
    second = business_days.on_or_after(shifted(own, "2027-05-15"))
    announce = run_collections(own, sink.port, "pre-notify", now=moved(second - dt.timedelta(20)))
    assert announce.returncode == 0, announce.stderr
    assert "notified" in announce.stdout
    notice = sink.wait_for(body["email"], 3)[2]  # code, confirmation, pre-notification
    content = notice.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert signed["mandate_reference"] in content and "DE98ZZZ09999999999" in content
    assert "123,45 €" in content and second.strftime("%d.%m.%Y") in content
    out = tmp_path / "second.xml"
    written = run_collections(own, sink.port, "export", "--date", str(second), "--out", str(out))
    assert written.returncode == 0, written.stderr
    assert texts(checked(out.read_bytes()), ".//p:PmtTpInf/p:SeqTp") == ["RCUR"]
    out.unlink()
    repeat = run_collections(own, sink.port, "export", "--date", str(second), "--out", str(out))
    assert repeat.returncode == 0 and not out.exists()  # nothing new: no file

    assert own.client().post(f"/api/v1/mandates/{signed['id']}/revoke").status_code == 200
    revoked = sink.wait_for(body["email"], 4)[3]
    assert "widerrufen" in str(revoked["Subject"])
    third = business_days.on_or_after(shifted(own, "2027-08-15"))
    later = run_collections(own, sink.port, "pre-notify", now=moved(third - dt.timedelta(20)))
    assert later.returncode == 0 and "notified" not in later.stdout
    assert export(own, third) is None
    statuses = [item["status"] for item in schedule(own, "4100.2026.0003")]
    assert statuses == ["exported", "exported", "cancelled", "cancelled"]


def test_non_eea_debtor_address_goes_into_the_file(own: PortalProcess, sink: MailSink) -> None:
    _body, signed = create_and_sign(
        own,
        sink,
        kassenzeichen="4100.2026.0005",
        amount="850.00",
        iban="CH93 0076 2011 6238 5295 7",
        bic="UBSWCHZH80A",
        debtor_address={
            "street": "Bahnhofstrasse 1",
            "postcode": "8001",
            "city": "Zürich",
            "country": "CH",
        },
    )
    made = export(own, dt.date.fromisoformat(signed["first_collection_date"]))
    assert made is not None
    document, _text = made
    assert texts(document, ".//p:Dbtr/p:PstlAdr/p:Ctry") == ["CH"]
    assert texts(document, ".//p:Dbtr/p:PstlAdr/p:TwnNm") == ["Zuerich"]  # SEPA characters
    assert texts(document, ".//p:DbtrAgt/p:FinInstnId/p:BICFI") == ["UBSWCHZH80A"]


def test_past_closed_and_malformed_dates_are_refused(own: PortalProcess) -> None:
    client = own.client()
    for past in (today(), today() - dt.timedelta(days=1)):
        answer = client.get("/api/v1/exports/pain.008", params={"collection_date": str(past)})
        assert_problem(answer, 422)
    christmas = dt.date(today().year + 1, 12, 25)
    closed = assert_problem(
        client.get("/api/v1/exports/pain.008", params={"collection_date": str(christmas)}), 422
    )
    assert closed["next_business_day"] == str(business_days.on_or_after(christmas))
    assert export(own, business_days.on_or_after(today() + dt.timedelta(days=400))) is None
    for bad in ["", "2027-02-30", "15.02.2027", "2027-2-15"]:
        response = client.get("/api/v1/exports/pain.008", params={"collection_date": bad})
        assert_problem(response, 422)
    assert_problem(client.get("/api/v1/exports/pain.008"), 422)


def pain002(end_to_end_id: str, reason: str) -> bytes:
    """A bank's reject of one debit (pain.002.001.10, as a Sparkasse sends it)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>
<GrpHdr><MsgId>STS-1</MsgId><CreDtTm>2027-01-01T10:00:00</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>X</OrgnlMsgId><OrgnlMsgNmId>pain.008.001.08</OrgnlMsgNmId>
<GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>X-FRST</OrgnlPmtInfId><TxInfAndSts>
<OrgnlEndToEndId>{end_to_end_id}</OrgnlEndToEndId><TxSts>RJCT</TxSts>
<StsRsnInf><Rsn><Cd>{reason}</Cd></Rsn></StsRsnInf></TxInfAndSts></OrgnlPmtInfAndSts>
</CstmrPmtStsRpt></Document>""".encode()


def camt054(end_to_end_id: str, reason: str, amount: str) -> bytes:
    """A return after settlement as booked on the creditor's account (camt.054.001.08)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>
<GrpHdr><MsgId>C54-1</MsgId><CreDtTm>2027-01-01T10:00:00</CreDtTm></GrpHdr>
<Ntfctn><Id>N1</Id><Acct><Id><IBAN>DE02120300000000202051</IBAN></Id></Acct>
<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<NtryDtls><TxDtls><Refs><EndToEndId>{end_to_end_id}</EndToEndId></Refs>
<Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>DBIT</CdtDbtInd>
<RtrInf><Rsn><Cd>{reason}</Cd></Rsn></RtrInf></TxDtls></NtryDtls></Ntry>
</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>""".encode()


def test_returns_round_trip_reach_citizen_and_staff_and_frst_follows_a_returned_frst(
    own: PortalProcess, sink: MailSink, tmp_path: Path
) -> None:
    body, signed = create_and_sign(
        own, sink, kassenzeichen="4100.2026.0004", amount="36.20", language="en"
    )
    made = export(own, dt.date.fromisoformat(signed["first_collection_date"]))
    assert made is not None
    (end_to_end_id,) = texts(made[0], ".//p:EndToEndId")
    client = own.client()
    imported = client.post("/api/v1/collections/returns", content=pain002(end_to_end_id, "AM04"))
    assert imported.status_code == 200, imported.text
    assert imported.json()["matched"] == 1 and imported.json()["kind"] == "pain.002"
    again = client.post("/api/v1/collections/returns", content=pain002(end_to_end_id, "AM04"))
    assert again.json()["matched"] == 0 and again.json()["already_returned"] == 1
    told = sink.wait_for(body["email"], 3)[2]
    assert "returned (AM04)" in str(told["Subject"])  # in the mandate's language
    assert "sufficient funds" in told.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    returned = client.get("/api/v1/collections/returns").json()["items"]
    assert [r["end_to_end_id"] for r in returned] == [end_to_end_id]
    assert returned[0]["return_reason"] == "AM04"

    # the next instalment of a mandate whose first debit came back is again a FRST
    second = business_days.on_or_after(shifted(own, "2027-05-15"))
    announce = run_collections(own, sink.port, "pre-notify", now=moved(second - dt.timedelta(20)))
    assert announce.returncode == 0, announce.stderr
    made = export(own, second)
    assert made is not None
    assert texts(made[0], ".//p:PmtTpInf/p:SeqTp") == ["FRST"]
    (second_id,) = texts(made[0], ".//p:EndToEndId")
    # a refund after settlement, from a camt.054 file read by the treasury command
    file = tmp_path / "camt054.xml"
    file.write_bytes(camt054(second_id, "MD06", "36.20"))
    dry = run_collections(own, sink.port, "import-returns", str(file), "--dry-run")
    assert dry.returncode == 0 and f"returned {second_id} (MD06)" in dry.stdout
    assert schedule(own, "4100.2026.0004")[1]["status"] == "exported"  # the dry run changed nothing
    real = run_collections(own, sink.port, "import-returns", str(file))
    assert real.returncode == 0, real.stderr
    assert [i["status"] for i in schedule(own, "4100.2026.0004")][:2] == ["returned", "returned"]
    assert "refund" in sink.wait_for(body["email"], 5)[4].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    bad = run_collections(own, sink.port, "import-returns", str(tmp_path / "missing.xml"))
    assert bad.returncode == 4


def test_a_mandate_unused_for_36_months_lapses(own: PortalProcess, sink: MailSink) -> None:
    body, signed = create_and_sign(own, sink, kassenzeichen="4100.2026.0006", amount="312.00")
    later = today() + dt.timedelta(days=37 * 31)
    dry = run_collections(own, sink.port, "lapse", "--dry-run", now=moved(later))
    assert dry.returncode == 0 and "lapsed" in dry.stdout
    mandate = own.client().get(f"/api/v1/mandates/{signed['id']}").json()
    assert mandate["status"] == "active"
    done = run_collections(own, sink.port, "lapse", now=moved(later))
    assert done.returncode == 0, done.stderr
    assert own.client().get(f"/api/v1/mandates/{signed['id']}").json()["status"] == "lapsed"
    told = sink.wait_for(body["email"], 3)[2]
    assert re.search("erloschen", str(told["Subject"]))


def test_a_collection_not_pre_notified_is_refused_until_announced(
    own: PortalProcess, sink: MailSink
) -> None:
    body, signed = create_and_sign(own, sink, kassenzeichen="4100.2026.0001", amount="48.00")
    planned = run_collections(own, sink.port, "plan")
    assert planned.returncode == 0 and "plan: 0 item(s)" in planned.stdout  # all planned at signing
    second = business_days.on_or_after(shifted(own, "2027-03-15"))
    assert [i["collection_date"] for i in schedule(own, "4100.2026.0001")][1] == str(second)
    refused = own.client().get("/api/v1/exports/pain.008", params={"collection_date": str(second)})
    assert refused.status_code == 204 and refused.headers["x-not-prenotified"] == "1"
    dry = run_collections(
        own, sink.port, "pre-notify", "--dry-run", now=moved(second - dt.timedelta(16))
    )
    assert dry.returncode == 0 and "[dry run] notified" in dry.stdout
    assert len(sink.to(body["email"])) == 2  # code and confirmation: the dry run mailed nothing
    late = run_collections(own, sink.port, "pre-notify", now=moved(second - dt.timedelta(16)))
    assert late.returncode == 0, late.stderr
    assert sink.wait_for(body["email"], 3)
    made = export(own, second)
    assert made is not None and signed["mandate_reference"] in made[1]


def test_a_batch_rejected_as_a_whole_returns_each_of_its_debits(
    own: PortalProcess, sink: MailSink
) -> None:
    body, signed = create_and_sign(own, sink, kassenzeichen="4100.2026.0002", amount="60.00")
    made = export(own, dt.date.fromisoformat(signed["first_collection_date"]))
    assert made is not None
    batch_id = made[0].root.findtext(".//p:GrpHdr/p:MsgId", namespaces=NS)
    rejected = f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>
<GrpHdr><MsgId>STS-2</MsgId><CreDtTm>2027-01-01T10:00:00</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>{batch_id}</OrgnlMsgId><OrgnlMsgNmId>pain.008.001.08</OrgnlMsgNmId>
<GrpSts>RJCT</GrpSts><StsRsnInf><Rsn><Cd>FF01</Cd></Rsn></StsRsnInf></OrgnlGrpInfAndSts>
</CstmrPmtStsRpt></Document>""".encode()
    answer = own.client().post("/api/v1/collections/returns", content=rejected)
    assert answer.status_code == 200, answer.text
    assert answer.json()["matched"] == 1
    assert [i["status"] for i in schedule(own, "4100.2026.0002")] == ["returned"]
    assert "FF01" in str(sink.wait_for(body["email"], 3)[2]["Subject"])
