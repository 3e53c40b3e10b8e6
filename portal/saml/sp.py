"""The service provider: its metadata, signed AuthnRequests, and the checked response.

pysaml2 does every check on the XML (signature with xmlsec1, decryption of an encrypted
assertion, audience, recipient and destination, validity times, InResponseTo against the one
request we sent); this module only sets it up strictly and reads what it verified. When it
refuses, `classify` names the reason for the citizen's page and the log: the reason is read
from the exception and, where pysaml2 says only "not valid", from the unverified envelope,
which only picks the wording of a refusal and never lets anything through.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from defusedxml import ElementTree as SafeET

from portal.saml import bundid

# pysaml2 is imported where it is used, not here: importing it reads its XML schemas and took
# 0.9 s of the portal's 2.3 s start, while most portal processes (the scheduled commands, a
# portal without signing traffic yet) never use it.
if TYPE_CHECKING:
    from saml2.config import SPConfig

log = logging.getLogger("portal.saml")

# pysaml2 logs the subject's NameID (the pseudonym) at INFO and whole messages at DEBUG: no
# assertion content may reach the portal's log (its errors quote status messages and parts
# of the XML too), so it is silent and the ACS writes one line of its own.
logging.getLogger("saml2").setLevel(logging.CRITICAL + 1)

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
# the largest SAMLResponse the ACS reads (an encrypted assertion with a few attributes is
# some 10 kB; the portal's body limit is larger)
MAX_RESPONSE = 256 * 1024


class MetadataUnavailable(RuntimeError):
    """The IdP's metadata could not be read; the citizen is told to try again later."""


@dataclass(frozen=True)
class SpSettings:
    entity_id: str
    acs_url: str
    key_file: Path
    cert_file: Path
    organisation: str
    # seconds of clock difference to the IdP accepted on validity times
    time_slack: int = 60


@dataclass(frozen=True)
class Verified:
    """What a valid login proved (held in memory only; the evidence keeps a part of it)."""

    idp_entity_id: str
    assertion_id: str
    issued_at: str
    authn_instant: str | None
    level: str | None
    class_ref: str | None
    name_id: str
    attributes: dict[str, list[str]] = field(default_factory=dict)

    def first(self, name: str) -> str:
        values = self.attributes.get(name) or [""]
        return values[0].strip()

    @property
    def pseudonym(self) -> str:
        """The bPK2 when the IdP sent one, else the persistent NameID."""
        return self.first(bundid.BPK2) or self.name_id


def _xmlsec() -> str:
    binary = shutil.which("xmlsec1")
    if binary is None:
        raise MetadataUnavailable(
            "xmlsec1 is not installed (Debian: apt-get install xmlsec1; scripts/system-deps.sh)"
        )
    return binary


def config(sp: SpSettings, idp_metadata_xml: str | None) -> SPConfig:
    from saml2 import BINDING_HTTP_POST
    from saml2.config import SPConfig
    from saml2.saml import NAMEID_FORMAT_PERSISTENT
    from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

    conf: dict[str, Any] = {
        "entityid": sp.entity_id,
        "key_file": str(sp.key_file),
        "cert_file": str(sp.cert_file),
        # one key pair signs the requests and decrypts the assertions (both in the metadata)
        "encryption_keypairs": [{"key_file": str(sp.key_file), "cert_file": str(sp.cert_file)}],
        "xmlsec_binary": _xmlsec(),
        "allow_unknown_attributes": True,
        "accepted_time_diff": sp.time_slack,
        # pysaml2's defaults are SHA-1; BundID and every current profile want SHA-256
        "signing_algorithm": SIG_RSA_SHA256,
        "digest_algorithm": DIGEST_SHA256,
        "service": {
            "sp": {
                "name": sp.organisation,
                "endpoints": {"assertion_consumer_service": [(sp.acs_url, BINDING_HTTP_POST)]},
                "authn_requests_signed": True,
                "want_assertions_signed": True,
                "want_response_signed": False,
                "allow_unsolicited": False,
                "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                "requested_attributes": bundid.metadata_attributes(),
            }
        },
    }
    if idp_metadata_xml is not None:
        conf["metadata"] = {"inline": [idp_metadata_xml]}
    result = SPConfig()
    result.load(conf)
    return result


MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"


def check_metadata_signature(xml: str, cert_file: Path) -> None:
    """Refuse IdP metadata that is not signed, as a whole, by `cert_file` (IDP_METADATA_CERT).

    pysaml2's metadata loaders accept unsigned metadata even when a certificate is given, so
    the check is ours; the signature itself is verified by xmlsec1 (pysaml2's backend). The
    signature must be the root's own (its first `ds:Signature`, a child of the root, whose
    reference is the root's ID): a signature of some inner element proves nothing about the
    keys and endpoints beside it.
    """
    from saml2.sigver import CryptoBackendXmlSec1, SignatureError

    try:
        root = SafeET.fromstring(xml.encode("utf-8"))
    except Exception as exc:  # defusedxml and expat raise several kinds
        raise MetadataUnavailable("IDP_METADATA is not XML") from exc
    if root.tag not in (f"{{{MD}}}EntityDescriptor", f"{{{MD}}}EntitiesDescriptor"):
        raise MetadataUnavailable("IDP_METADATA is not SAML metadata")
    first = next(root.iter(f"{{{DS}}}Signature"), None)
    root_id = root.get("ID")
    reference = root.find(f"{{{DS}}}Signature/{{{DS}}}SignedInfo/{{{DS}}}Reference")
    if (
        first is None
        or not root_id
        or first not in list(root)
        or reference is None
        or reference.get("URI") != f"#{root_id}"
    ):
        raise MetadataUnavailable("IDP_METADATA is not signed as a whole (IDP_METADATA_CERT set)")
    node_name = root.tag.strip("{").replace("}", ":")
    backend = CryptoBackendXmlSec1(_xmlsec())
    try:
        valid = backend.validate_signature(xml, str(cert_file), "pem", node_name, root_id)
    except SignatureError as exc:
        raise MetadataUnavailable("IDP_METADATA's signature does not verify") from exc
    if not valid:
        raise MetadataUnavailable("IDP_METADATA's signature does not verify")


def metadata_xml(sp: SpSettings) -> str:
    """The SP's `EntityDescriptor`: HTTP-POST ACS, signing and encryption certificate."""
    from saml2.metadata import entity_descriptor

    descriptor = entity_descriptor(config(sp, None))
    # pysaml2 lists every algorithm the local xmlsec1 knows (MD5 and SHA-1 too); announcing
    # none is better than announcing weak ones
    descriptor.extensions = None
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{descriptor}'


def idp_entity_id(conf: SPConfig) -> str:
    providers = list(conf.metadata.identity_providers())
    if len(providers) != 1:
        raise MetadataUnavailable(f"IDP_METADATA names {len(providers)} identity providers, not 1")
    return str(providers[0])


@dataclass(frozen=True)
class OutgoingRequest:
    request_id: str
    destination: str
    saml_request: str  # base64 of the signed AuthnRequest, for the HTTP-POST form


def authn_request(conf: SPConfig, level: str, language: str, organisation: str) -> OutgoingRequest:
    from saml2 import BINDING_HTTP_POST
    from saml2.client import Saml2Client
    from saml2.saml import NAMEID_FORMAT_PERSISTENT, AuthnContextClassRef
    from saml2.samlp import RequestedAuthnContext
    from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

    client = Saml2Client(conf)
    idp = idp_entity_id(conf)
    locations = [
        str(service["location"])
        for service in conf.metadata.single_sign_on_service(idp, BINDING_HTTP_POST)
    ]
    if not locations:
        raise MetadataUnavailable("the IdP's metadata has no HTTP-POST SingleSignOnService")
    context = RequestedAuthnContext(
        authn_context_class_ref=[AuthnContextClassRef(text=bundid.CLASS_REFS[level])],
        comparison="minimum",
    )
    request_id, request = client.create_authn_request(
        locations[0],
        binding=BINDING_HTTP_POST,
        sign=True,
        requested_authn_context=context,
        extensions=bundid.request_extensions(organisation, language),
        nameid_format=NAMEID_FORMAT_PERSISTENT,
        sign_alg=SIG_RSA_SHA256,
        digest_alg=DIGEST_SHA256,
    )
    encoded = base64.b64encode(str(request).encode("utf-8")).decode("ascii")
    return OutgoingRequest(str(request_id), locations[0], encoded)


@dataclass(frozen=True)
class Envelope:
    """Unverified facts read from a response before pysaml2 checks it: which request it says
    it answers (to find the session) and, after a refusal, hints for the reason's wording."""

    in_response_to: str | None
    destination: str | None
    recipient: str | None
    audiences: tuple[str, ...]
    not_on_or_after: str | None
    encrypted: bool


def decode(saml_response: str) -> bytes:
    if not saml_response or len(saml_response) > MAX_RESPONSE:
        raise ValueError("missing or too large")
    try:
        return base64.b64decode(saml_response, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64") from exc


def envelope(xml: bytes) -> Envelope:
    root = SafeET.fromstring(xml)  # defused: no entities, no external references
    if root.tag != f"{{{SAMLP}}}Response":
        raise ValueError("not a SAML Response")
    recipient = None
    for data in root.iter(f"{{{SAML}}}SubjectConfirmationData"):
        recipient = data.get("Recipient")
    not_after = None
    for conditions in root.iter(f"{{{SAML}}}Conditions"):
        not_after = conditions.get("NotOnOrAfter")
    return Envelope(
        in_response_to=root.get("InResponseTo"),
        destination=root.get("Destination"),
        recipient=recipient,
        audiences=tuple((a.text or "").strip() for a in root.iter(f"{{{SAML}}}Audience")),
        not_on_or_after=not_after,
        encrypted=any(True for _ in root.iter(f"{{{SAML}}}EncryptedAssertion")),
    )


class Refused(Exception):
    """pysaml2 (or our level check) refused the response; `reason` names why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def verify(conf: SPConfig, saml_response: str, request_id: str) -> Verified:
    """The verified login, or `Refused` with one of: cancelled, signature, expired, audience,
    recipient, unsolicited, invalid."""
    from saml2 import BINDING_HTTP_POST
    from saml2.client import Saml2Client
    from saml2.response import StatusAuthnFailed, StatusError, StatusRequestDenied

    client = Saml2Client(conf, identity_cache=None)
    try:
        response = client.parse_authn_request_response(
            saml_response, BINDING_HTTP_POST, outstanding={request_id: "signing"}
        )
    except (StatusAuthnFailed, StatusRequestDenied) as exc:
        raise Refused("cancelled") from exc
    except StatusError as exc:
        raise Refused("idp_error") from exc
    except Exception as exc:  # pysaml2 raises bare Exceptions for some checks
        raise Refused(_reason(exc, saml_response, conf)) from exc
    if response is None or response.assertion is None:
        raise Refused(_reason(None, saml_response, conf))
    assertion = response.assertion
    authn = response.authn_info()
    class_ref = str(authn[0][0]) if authn else None
    instant = str(authn[0][2]) if authn and len(authn[0]) > 2 and authn[0][2] else None
    attributes: dict[str, list[str]] = {}
    for statement in assertion.attribute_statement:
        for attribute in statement.attribute:
            values = [str(v.text or "") for v in attribute.attribute_value]
            attributes.setdefault(str(attribute.name), []).extend(values)
    level = bundid.level_of(class_ref)
    stated = bundid.level_of(next(iter(attributes.get(bundid.QAA_LEVEL, [])), None))
    if stated is not None and level is not None and not bundid.at_least(stated, level):
        level = stated  # two statements of the level: the lower one counts
    name_id = response.name_id
    return Verified(
        idp_entity_id=str(response.issuer() or ""),
        assertion_id=str(assertion.id),
        issued_at=str(assertion.issue_instant),
        authn_instant=instant,
        level=level,
        class_ref=class_ref,
        name_id=str(getattr(name_id, "text", "") or ""),
        attributes=attributes,
    )


def _reason(exc: BaseException | None, saml_response: str, conf: SPConfig) -> str:
    from saml2.sigver import SignatureError

    name = type(exc).__name__ if exc is not None else ""
    text = str(exc) if exc is not None else ""
    if "Unsolicited" in name:
        return "unsolicited"
    if "AudienceRestrictions" in text:
        return "audience"
    if "recipient" in text.lower():
        return "recipient"
    if name in ("ResponseLifetimeExceed", "ToEarly") or "Too old" in text or "too early" in text:
        return "expired"
    if isinstance(exc, SignatureError) or name in ("IncorrectlySigned", "MissingKey"):
        hint = _hint(saml_response, conf)
        return hint or "signature"
    return _hint(saml_response, conf) or "invalid"


def _hint(saml_response: str, conf: SPConfig) -> str | None:
    """A reason read from the unverified envelope, for the wording only."""
    try:
        seen = envelope(decode(saml_response))
    except Exception:  # a broken envelope is simply "invalid"
        return None
    acs = [str(url) for url, _ in conf.getattr("endpoints", "sp")["assertion_consumer_service"]]
    if seen.destination and seen.destination not in acs:
        return "recipient"
    if seen.recipient and seen.recipient not in acs:
        return "recipient"
    if seen.audiences and conf.entityid not in seen.audiences:
        return "audience"
    if seen.not_on_or_after:
        try:
            until = dt.datetime.fromisoformat(seen.not_on_or_after.replace("Z", "+00:00"))
        except ValueError:
            return None
        if until <= dt.datetime.now(dt.timezone.utc):
            return "expired"
    return None
