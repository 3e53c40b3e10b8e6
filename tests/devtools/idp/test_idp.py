"""The development IdP on its own (python -m devtools.idp), as a service provider meets it: its
signed metadata, refusal of unsigned and foreign AuthnRequests, the login page (a wrong
password answers nothing to the SP), the cancel button (AuthnFailed) and a good login.

The SP here is the portal's own SAML code (portal/saml/sp.py) with keys of its own and its
metadata in a file the IdP reads (IDP_SP_METADATA), so no portal process is needed.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from saml2 import BINDING_HTTP_POST
from saml2.client import Saml2Client

from devtools.processes import free_port
from portal.saml import bundid, sp
from portal.saml.keys import ensure_pair
from tests.portal.saml.saml_harness import IdpProcess, form_fields, idp_process
from tests.support import localhttp

pytestmark = pytest.mark.integration  # starts the IdP process (and xmlsec1)

SP_URL = "http://127.0.0.1:1"  # never called: the IdP only posts the browser there


@dataclass
class Sp:
    settings: sp.SpSettings
    idp: IdpProcess

    def config(self) -> object:
        xml = localhttp.get(f"{self.idp.url}/metadata", timeout=10).text
        return sp.config(self.settings, xml)


def _settings(folder: Path, name: str) -> sp.SpSettings:
    key, cert = ensure_pair(folder / f"{name}-key.pem", folder / f"{name}-cert.pem", name)
    return sp.SpSettings(
        entity_id=f"{SP_URL}/saml/metadata",
        acs_url=f"{SP_URL}/saml/acs",
        key_file=key,
        cert_file=cert,
        organisation="Testsstadt",
    )


@pytest.fixture(scope="module")
def known_sp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sp]:
    folder = tmp_path_factory.mktemp("idp")
    settings = _settings(folder, "sp")
    metadata = folder / "sp-metadata.xml"
    metadata.write_text(sp.metadata_xml(settings), encoding="utf-8")
    with idp_process(folder / "idp", free_port(), SP_URL, sp_metadata=str(metadata)) as idp:
        yield Sp(settings, idp)


def _request(conf: object, level: str = "high") -> sp.OutgoingRequest:
    return sp.authn_request(conf, level, "de", "Teststadt")  # type: ignore[arg-type]


def _login_page(known_sp: Sp, saml_request: str) -> httpx.Response:
    return localhttp.post(
        f"{known_sp.idp.url}/sso", data={"SAMLRequest": saml_request, "RelayState": "r1"}
    )


def _answer(page: str) -> bytes:
    action, fields = form_fields(page)
    assert action == f"{SP_URL}/saml/acs" and fields["RelayState"] == "r1"
    return base64.b64decode(fields["SAMLResponse"])


def test_metadata_is_served_and_signed(known_sp: Sp) -> None:
    answer = localhttp.get(f"{known_sp.idp.url}/metadata")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/samlmetadata+xml")
    xml = answer.text
    assert f'entityID="{known_sp.idp.url}/metadata"' in xml
    assert re.search(r"SingleSignOnService[^>]*HTTP-POST[^>]*/sso", xml)
    assert 'WantAuthnRequestsSigned="true"' in xml
    keys = known_sp.idp.var_dir / "keys"
    sp.check_metadata_signature(xml, keys / "dev-idp-cert.pem")  # raises when it is not
    other = ensure_pair(keys / "x-key.pem", keys / "x-cert.pem", "someone else")[1]
    with pytest.raises(sp.MetadataUnavailable):
        sp.check_metadata_signature(xml, other)


def test_unsigned_request_is_refused(known_sp: Sp) -> None:
    conf = known_sp.config()
    client = Saml2Client(conf)
    _id, request = client.create_authn_request(
        f"{known_sp.idp.url}/sso", binding=BINDING_HTTP_POST, sign=False
    )
    page = _login_page(known_sp, base64.b64encode(str(request).encode()).decode())
    assert page.status_code == 400 and "Anfrage abgelehnt" in page.text
    assert 'name="password"' not in page.text


def test_request_signed_by_another_key_is_refused(known_sp: Sp, tmp_path: Path) -> None:
    # the same entity id as the known SP, but not its key: a forger's request
    forger = sp.config(
        _settings(tmp_path, "forger"), localhttp.get(f"{known_sp.idp.url}/metadata").text
    )
    page = _login_page(known_sp, _request(forger).saml_request)
    assert page.status_code == 400 and "Anfrage abgelehnt" in page.text
    assert 'name="password"' not in page.text


def test_request_of_an_unknown_sp_is_refused(known_sp: Sp, tmp_path: Path) -> None:
    stranger = sp.SpSettings(
        entity_id="https://stranger.example/saml/metadata",
        acs_url="https://stranger.example/saml/acs",
        key_file=known_sp.settings.key_file,
        cert_file=known_sp.settings.cert_file,
        organisation="Fremd",
    )
    conf = sp.config(stranger, localhttp.get(f"{known_sp.idp.url}/metadata").text)
    page = _login_page(known_sp, _request(conf).saml_request)
    assert page.status_code == 400 and 'name="password"' not in page.text


def test_wrong_password_answers_nothing_then_a_good_login_answers(known_sp: Sp) -> None:
    conf = known_sp.config()
    request = _request(conf)
    page = _login_page(known_sp, request.saml_request)
    assert page.status_code == 200 and 'name="password"' in page.text
    assert page.text.index("Benutzername") < page.text.index("User name")  # German first
    _action, hidden = form_fields(page.text)
    wrong = localhttp.post(
        f"{known_sp.idp.url}/login",
        data={**hidden, "username": "erika", "password": "falsch", "action": "login"},
    )
    assert wrong.status_code == 401 and "Passwort falsch" in wrong.text
    assert "SAMLResponse" not in wrong.text
    # the same login may be tried again on the page it came back with
    right = localhttp.post(
        f"{known_sp.idp.url}/login",
        data={**hidden, "username": "erika", "password": "erika-ausweis", "action": "login"},
    )
    assert right.status_code == 200
    xml = _answer(right.text)
    assert b"EncryptedAssertion" in xml and b"Mustermann" not in xml  # encrypted for the SP
    verified = sp.verify(conf, base64.b64encode(xml).decode(), request.request_id)  # type: ignore[arg-type]
    assert (verified.level, verified.first(bundid.SURNAME)) == ("high", "Mustermann")
    assert verified.pseudonym == "DEV-BPK2-ERIKA-MUSTERMANN"
    # the login was answered once: the pending entry is gone
    again = localhttp.post(
        f"{known_sp.idp.url}/login",
        data={**hidden, "username": "erika", "password": "erika-ausweis", "action": "login"},
    )
    assert again.status_code == 400 and "SAMLResponse" not in again.text


def test_cancel_answers_authn_failed(known_sp: Sp) -> None:
    conf = known_sp.config()
    request = _request(conf)
    _action, hidden = form_fields(_login_page(known_sp, request.saml_request).text)
    cancelled = localhttp.post(f"{known_sp.idp.url}/login", data={**hidden, "action": "cancel"})
    assert cancelled.status_code == 200
    xml = _answer(cancelled.text)
    assert b"urn:oasis:names:tc:SAML:2.0:status:AuthnFailed" in xml
    assert b"<saml:Assertion" not in xml and b"EncryptedAssertion" not in xml
    with pytest.raises(sp.Refused) as refused:
        sp.verify(conf, base64.b64encode(xml).decode(), request.request_id)  # type: ignore[arg-type]
    assert refused.value.reason == "cancelled"
