"""The IdP's SAML side: pysaml2's `Server` reading signed AuthnRequests and answering them.

Kept apart from the web pages so the tests can use the same IdP key and code to craft
responses (expired, for another audience, …) that the real IdP would never send.
"""

from __future__ import annotations

import base64
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from saml2 import BINDING_HTTP_POST, class_name
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor, sign_entity_descriptor
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, Assertion, NameID
from saml2.samlp import STATUS_AUTHN_FAILED, STATUS_REQUEST_DENIED
from saml2.server import Server
from saml2.sigver import pre_signature_part, security_context
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from devtools.idp.identities import Identity
from portal.saml import bundid


@dataclass(frozen=True)
class PendingRequest:
    """A checked AuthnRequest, waiting for the citizen's login."""

    request_id: str
    sp_entity_id: str
    acs_url: str
    min_level: str | None


def idp_config(
    public_url: str, key_file: Path, cert_file: Path, sp_metadata_xml: str | None
) -> IdPConfig:
    conf: dict[str, Any] = {
        "entityid": f"{public_url}/metadata",
        "key_file": str(key_file),
        "cert_file": str(cert_file),
        "xmlsec_binary": shutil.which("xmlsec1"),
        "signing_algorithm": SIG_RSA_SHA256,
        "digest_algorithm": DIGEST_SHA256,
        "service": {
            "idp": {
                "name": "Entwicklungs-IdP (statt BundID)",
                "endpoints": {"single_sign_on_service": [(f"{public_url}/sso", BINDING_HTTP_POST)]},
                # like BundID: an unsigned or wrongly signed request is refused
                "want_authn_requests_signed": True,
                "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                "policy": {
                    "default": {
                        "lifetime": {"minutes": 5},
                        "attribute_restrictions": None,
                        "name_form": NAME_FORMAT_URI,
                    }
                },
            }
        },
    }
    if sp_metadata_xml is not None:
        conf["metadata"] = {"inline": [sp_metadata_xml]}
    result = IdPConfig()
    result.load(conf)
    return result


def metadata_xml(public_url: str, key_file: Path, cert_file: Path) -> str:
    """The IdP's metadata, signed with its own key as BundID signs its metadata (a portal
    with IDP_METADATA_CERT set to the IdP's certificate checks it)."""
    conf = idp_config(public_url, key_file, cert_file, None)
    descriptor = entity_descriptor(conf)
    descriptor.extensions = None  # no list of every algorithm xmlsec1 knows (MD5, SHA-1 …)
    _signed, xml = sign_entity_descriptor(
        descriptor, None, security_context(conf), sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256
    )
    return str(xml)


def attributes(identity: Identity) -> dict[str, list[str]]:
    values = {
        bundid.BPK2: identity.bpk2,
        bundid.GIVEN_NAME: identity.given_name,
        bundid.SURNAME: identity.family_name,
        bundid.BIRTH_DATE: identity.birth_date,
        bundid.POSTAL_ADDRESS: identity.street,
        bundid.POSTAL_CODE: identity.postal_code,
        bundid.LOCALITY: identity.locality,
        bundid.COUNTRY: identity.country,
        bundid.MAIL: identity.email,
        bundid.QAA_LEVEL: bundid.CLASS_REFS[identity.level],
    }
    return {name: [value] for name, value in values.items() if value}


class DevIdp:
    def __init__(self, conf: IdPConfig) -> None:
        self.server = Server(config=conf)
        self.entity_id = str(conf.entityid)

    def read_request(self, saml_request: str) -> PendingRequest:
        """Check the request's signature against the SP's metadata; `ValueError` if wrong."""
        try:
            info = self.server.parse_authn_request(saml_request, BINDING_HTTP_POST)
        except Exception as exc:  # pysaml2 raises many kinds for a bad request
            raise ValueError(f"AuthnRequest refused: {type(exc).__name__}") from exc
        if info is None:
            raise ValueError("AuthnRequest refused: not signed by a known SP")
        request = info.message
        if request.signature is None:
            raise ValueError("AuthnRequest refused: unsigned")
        sp = str(request.issuer.text)
        acs = request.assertion_consumer_service_url
        known = [
            str(service["location"])
            for service in self.server.metadata.assertion_consumer_service(sp, BINDING_HTTP_POST)
        ]
        if not acs:
            acs = known[0] if known else None
        if acs not in known:
            raise ValueError("AuthnRequest refused: AssertionConsumerServiceURL not in metadata")
        level = None
        context = request.requested_authn_context
        if context is not None and context.authn_context_class_ref:
            level = bundid.level_of(context.authn_context_class_ref[0].text)
        return PendingRequest(str(request.id), sp, str(acs), level)

    def login_response(
        self,
        identity: Identity,
        pending: PendingRequest,
        *,
        level: str | None = None,
        encrypt: bool = True,
        sp_entity_id: str | None = None,
        destination: str | None = None,
        mutate: Callable[[str], str] | None = None,
        sign: bool = True,
    ) -> str:
        """The base64 Response for the ACS. The keywords after `identity` and `pending` are
        for the tests' crafted responses; the IdP itself uses only `encrypt`."""
        reached = level or identity.level
        name_id = NameID(format=NAMEID_FORMAT_PERSISTENT, text=identity.bpk2)
        authn = {"class_ref": bundid.CLASS_REFS[reached], "authn_auth": self.entity_id}
        identity_ava = attributes(identity)
        if reached != identity.level:
            identity_ava[bundid.QAA_LEVEL] = [bundid.CLASS_REFS[reached]]
        kwargs: dict[str, Any] = {
            "identity": identity_ava,
            "in_response_to": pending.request_id,
            "destination": destination or pending.acs_url,
            "sp_entity_id": sp_entity_id or pending.sp_entity_id,
            "name_id": name_id,
            "authn": authn,
            "sign_response": False,
            "sign_alg": SIG_RSA_SHA256,
            "digest_alg": DIGEST_SHA256,
        }
        if mutate is None and sign and encrypt:
            response = self.server.create_authn_response(
                **kwargs,
                sign_assertion=True,
                encrypt_assertion=True,
                encrypt_assertion_self_contained=True,
                encrypt_cert_assertion=self._sp_encryption_cert(pending.sp_entity_id),
            )
            return base64.b64encode(str(response).encode()).decode("ascii")
        response = self.server.create_authn_response(
            **kwargs, sign_assertion=False, encrypt_assertion=False
        )
        if sign:
            # the signature template goes in before the change, the signature after it
            response.assertion.signature = pre_signature_part(
                response.assertion.id,
                self.server.sec.my_cert,
                1,
                sign_alg=SIG_RSA_SHA256,
                digest_alg=DIGEST_SHA256,
            )
        xml = str(response)
        if mutate is not None:
            xml = mutate(xml)
        if sign:
            xml = self.sign_assertion(xml, str(response.assertion.id))
        return base64.b64encode(xml.encode()).decode("ascii")

    def sign_assertion(self, xml: str, assertion_id: str) -> str:
        signed = self.server.sec.sign_statement(
            xml, node_name=class_name(Assertion()), node_id=assertion_id
        )
        return str(signed)

    def cancel_response(self, pending: PendingRequest, denied: bool = False) -> str:
        status = STATUS_REQUEST_DENIED if denied else STATUS_AUTHN_FAILED
        response = self.server.create_error_response(
            pending.request_id,
            pending.acs_url,
            (status, "Anmeldung abgebrochen / login cancelled"),
            sign=True,
            sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
        )
        return base64.b64encode(str(response).encode()).decode("ascii")

    def _sp_encryption_cert(self, sp_entity_id: str) -> str | None:
        certs = self.server.metadata.certs(sp_entity_id, "spsso", use="encryption")
        if not certs:
            return None
        return str(certs[0][1])
