"""A restarted portal still decrypts what it stored: the generated key is kept in var/keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from portal_harness import MailSink, database, portal_process
from test_portal_mandates import create_and_sign

pytestmark = pytest.mark.integration  # starts the real portal process


def test_restart_keeps_keys_and_data(sink: MailSink, tmp_path: Path) -> None:
    var = tmp_path / "var"
    with database("sqlite", tmp_path) as url:
        with portal_process(url, var, sink.port) as first:
            _body, signed = create_and_sign(
                first, sink, kassenzeichen="4100.2026.0003", amount="123.45"
            )
            certificate = (var / "keys" / "seal-cert.pem").read_bytes()
        with portal_process(url, var, sink.port) as second:
            client = second.client()
            assert client.get(f"/api/v1/mandates/{signed['id']}").json()["status"] == "active"
            exported = client.get(
                "/api/v1/exports/pain.008",
                params={"collection_date": signed["first_collection_date"]},
            )
            assert exported.status_code == 200, exported.text
            assert "DE89370400440532013000" in exported.text
            assert (var / "keys" / "seal-cert.pem").read_bytes() == certificate
            invoices = client.post(
                "/api/v1/invoices/lookup",
                json={"kassenzeichen": "4100.2026.0003", "amount": "123.45"},
            )
            assert invoices.json()["active_mandate_id"] == signed["id"]
