"""The pain.008.001.08 export: valid against the XSD, FRST first and RCUR after."""

from __future__ import annotations

from pathlib import Path

import pytest
import sepaxml
import xmlschema
from portal_harness import MailSink, PortalProcess
from test_portal_api import assert_problem
from test_portal_mandates import create_and_sign

pytestmark = pytest.mark.integration  # starts the real portal process

XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.08.xsd"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"}


def export(portal: PortalProcess, day: str) -> xmlschema.XmlDocument | None:
    response = portal.client().get("/api/v1/exports/pain.008", params={"collection_date": day})
    if response.status_code == 204:
        return None
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    schema = xmlschema.XMLSchema(str(XSD))
    schema.validate(response.text)
    return xmlschema.XmlDocument(response.text, validation="skip")


def sequence_types(document: xmlschema.XmlDocument) -> list[str]:
    root = document.root
    return [node.text for node in root.iterfind(".//p:PmtTpInf/p:SeqTp", NS)]


def test_frst_then_rcur_and_nothing_after_revoke(portal: PortalProcess, sink: MailSink) -> None:
    _body, signed = create_and_sign(portal, sink, kassenzeichen="4100.2026.0003", amount="123.45")
    assert signed["first_collection_date"] == "2027-02-15"
    first = export(portal, "2027-02-15")
    assert first is not None
    assert sequence_types(first) == ["FRST"]
    text = first.tostring()
    assert signed["mandate_reference"] in text
    assert "DE89370400440532013000" in text  # the bank needs the clear IBAN
    assert "123.45" in text
    again = export(portal, "2027-02-15")
    assert again is not None and sequence_types(again) == ["FRST"]
    second = export(portal, "2027-05-15")
    assert second is not None and sequence_types(second) == ["RCUR"]
    portal.client().post(f"/api/v1/mandates/{signed['id']}/revoke")
    assert export(portal, "2027-08-15") is None


def test_nothing_due_is_204_and_bad_dates_422(portal: PortalProcess) -> None:
    client = portal.client()
    assert export(portal, "2030-01-01") is None
    for bad in ["", "2027-02-30", "15.02.2027", "2027-2-15"]:
        response = client.get("/api/v1/exports/pain.008", params={"collection_date": bad})
        assert_problem(response, 422)
    assert_problem(client.get("/api/v1/exports/pain.008"), 422)
