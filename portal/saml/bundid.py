"""What BundID expects and sends, as far as public sources show it (portal/README.md says which).

- Levels of assurance are STORK-QAA class references: level 3 = eIDAS "substantial" (e.g. an
  ELSTER certificate), level 4 = "high" (the online ID card). The request names the minimum
  (`RequestedAuthnContext Comparison="minimum"`); the assertion's `AuthnContextClassRef` (and
  the attribute `EID-CITIZEN-QAA-LEVEL`) says what the login reached.
- Attributes are named by OIDs (NameFormat uri). The AKDB request extension
  (`https://www.akdb.de/request/2018/09`, `AuthenticationRequest Version="2"`) lists the
  attributes a service needs, each required or not, and the login methods offered.

>>> level_of("STORK-QAA-Level-4"), level_of("STORK-QAA-Level-3"), level_of("STORK-QAA-Level-1")
('high', 'substantial', 'low')
>>> at_least("high", "substantial"), at_least("substantial", "high"), at_least(None, "substantial")
(True, False, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

# pysaml2 is imported where it is used (its import takes most of a second; portal/saml/sp.py)
if TYPE_CHECKING:
    from saml2 import ExtensionElement
    from saml2.samlp import Extensions

LEVELS = ("low", "substantial", "high")
CLASS_REFS = {
    "substantial": "STORK-QAA-Level-3",
    "high": "STORK-QAA-Level-4",
}
_BY_REF = {
    "STORK-QAA-Level-1": "low",
    "STORK-QAA-Level-2": "low",
    "STORK-QAA-Level-3": "substantial",
    "STORK-QAA-Level-4": "high",
    # the same levels as eIDAS names them, in case an IdP of the federation answers so
    "http://eidas.europa.eu/LoA/low": "low",
    "http://eidas.europa.eu/LoA/substantial": "substantial",
    "http://eidas.europa.eu/LoA/high": "high",
}

AKDB_NS = "https://www.akdb.de/request/2018/09"
CLASSIC_UI_NS = "https://www.akdb.de/request/2018/09/classic-ui/v1"

GIVEN_NAME = "urn:oid:2.5.4.42"
SURNAME = "urn:oid:2.5.4.4"
BIRTH_DATE = "urn:oid:1.2.40.0.10.2.1.1.55"
POSTAL_ADDRESS = "urn:oid:2.5.4.16"
POSTAL_CODE = "urn:oid:2.5.4.17"
LOCALITY = "urn:oid:2.5.4.7"
COUNTRY = "urn:oid:1.2.40.0.10.2.1.1.225599"
MAIL = "urn:oid:0.9.2342.19200300.100.1.3"
BPK2 = "urn:oid:1.3.6.1.4.1.25484.494450.3"
QAA_LEVEL = "urn:oid:1.2.40.0.10.2.1.1.261.94"


@dataclass(frozen=True)
class Attribute:
    name: str
    friendly_name: str
    required: bool


ATTRIBUTES = (
    Attribute(BPK2, "bPK2", True),
    Attribute(GIVEN_NAME, "givenName", True),
    Attribute(SURNAME, "surname", True),
    Attribute(BIRTH_DATE, "birthdate", False),
    Attribute(POSTAL_ADDRESS, "postalAddress", False),
    Attribute(POSTAL_CODE, "postalCode", False),
    Attribute(LOCALITY, "localityName", False),
    Attribute(COUNTRY, "country", False),
    Attribute(MAIL, "mail", False),
    Attribute(QAA_LEVEL, "EID-CITIZEN-QAA-LEVEL", False),
)


def level_of(class_ref: str | None) -> str | None:
    """Our name of a level ("low", "substantial", "high"), None for an unknown reference."""
    return _BY_REF.get((class_ref or "").strip())


def at_least(level: str | None, required: str) -> bool:
    if level not in LEVELS:
        return False
    return LEVELS.index(level) >= LEVELS.index(required)


def metadata_attributes() -> list[dict[str, object]]:
    """The requested attributes in the form pysaml2's SP configuration takes them."""
    from saml2.saml import NAME_FORMAT_URI

    return [
        {
            "name": a.name,
            "name_format": NAME_FORMAT_URI,
            "friendly_name": a.friendly_name,
            "required": a.required,
        }
        for a in ATTRIBUTES
    ]


def _element(tag: str, namespace: str = AKDB_NS, **kwargs: object) -> ExtensionElement:
    from saml2 import ExtensionElement

    return ExtensionElement(tag, namespace=namespace, **kwargs)


def request_extensions(organisation: str, language: str) -> Extensions:
    """`<samlp:Extensions><akdb:AuthenticationRequest Version="2">…`: the login methods
    offered (the online ID card, ELSTER and the user-name login, which BundID itself refuses
    when it is below the requested level), the attributes wanted and what the IdP shows."""
    from saml2.samlp import Extensions

    methods = [
        _element(name, children=[_element("Enabled", text="true")])
        for name in ("eID", "Elster", "Benutzername")
    ]
    requested = [
        _element(
            "RequestedAttribute",
            attributes={"Name": a.name, "RequiredAttribute": "true" if a.required else "false"},
        )
        for a in ATTRIBUTES
    ]
    display = _element(
        "DisplayInformation",
        children=[
            _element(
                "Version",
                namespace=CLASSIC_UI_NS,
                children=[
                    _element("OrganizationDisplayName", CLASSIC_UI_NS, text=organisation),
                    _element("Lang", CLASSIC_UI_NS, text=language),
                ],
            )
        ],
    )
    request = _element(
        "AuthenticationRequest",
        attributes={"Version": "2"},
        children=[
            _element("AuthnMethods", children=methods),
            _element("RequestedAttributes", children=requested),
            display,
        ],
    )
    return Extensions(extension_elements=[request])
