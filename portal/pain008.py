"""Building and checking pain.008.001.08 files (SEPA Core direct debit initiation).

sepaxml builds the XML and validates it against the XSD it ships; `epc_problems` checks what
the XSD cannot express: the EPC SDD Core rules a German bank applies on receipt (service level
``SEPA``, local instrument ``CORE``, sequence types, the creditor scheme id, the SEPA character
set, unique end-to-end ids, collection dates on TARGET2 business days).

>>> sepa_text("Müllgebühr & Straße_1 <Nr. 7>")
'Muellgebuehr + Strasse 1 (Nr. 7)'
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sepaxml import SepaDD
from sepaxml.validation import try_valid_xml
from text_unidecode import unidecode

from portal import business_days
from rules import creditor_id as creditor_id_rules

SCHEMA = "pain.008.001.08"
NS = "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"
_Q = {"p": NS}

# The Latin character set of the EPC implementation guidelines (EPC217-08)
SEPA_CHARACTERS = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]*")
_GERMAN = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "Ä": "Ae",
        "Ö": "Oe",
        "Ü": "Ue",
        "ß": "ss",
        "&": "+",
        "<": "(",
        ">": ")",
        "[": "(",
        "]": ")",
    }
)


def sepa_text(value: str, limit: int = 140) -> str:
    """Text in the SEPA character set: umlauts spelt out, the rest transliterated, anything
    still outside replaced by a space."""
    plain = unidecode(value.translate(_GERMAN))
    cleaned = "".join(ch if SEPA_CHARACTERS.fullmatch(ch) else " " for ch in plain)
    return re.sub(r" {2,}", " ", cleaned).strip()[:limit]


@dataclass(frozen=True)
class Transaction:
    end_to_end_id: str
    sequence_type: str  # FRST or RCUR
    amount_cents: int
    mandate_reference: str
    mandate_signed: dt.date
    debtor_name: str
    iban: str
    bic: str | None
    address: dict[str, str] | None  # street, postcode, city, country (non-EEA debtors)
    remittance: str


@dataclass(frozen=True)
class Creditor:
    name: str
    iban: str
    bic: str
    creditor_id: str


def remittance(kassenzeichen_formatted: str, purpose: str) -> str:
    """Unstructured remittance text, at most 140 characters, starting with the Kassenzeichen so
    that reconciliation finds it even where a bank shortens the text.

    >>> remittance('4100.2026.0003', 'Grundsteuer B 2027')
    'Kassenzeichen 4100.2026.0003 Grundsteuer B 2027'
    >>> len(remittance('4100.2026.0003', 'x' * 300))
    140
    """
    return sepa_text(f"Kassenzeichen {kassenzeichen_formatted} {purpose}")


def build(
    creditor: Creditor, day: dt.date, batch_id: str, created: dt.datetime, items: list[Transaction]
) -> bytes:
    """The file for one batch, valid against the XSD and the EPC rules (raises otherwise)."""
    sepa = SepaDD(
        {
            "name": sepa_text(creditor.name, 70),
            "IBAN": creditor.iban,
            "BIC": creditor.bic,
            "batch": True,
            "creditor_id": creditor.creditor_id,
            "currency": "EUR",
            "instrument": "CORE",
        },
        schema=SCHEMA,
        clean=False,  # cleaned here, into the SEPA set rather than plain ASCII
    )
    for item in items:
        payment: dict[str, Any] = {
            "name": sepa_text(item.debtor_name, 70),
            "IBAN": item.iban,
            "amount": item.amount_cents,
            "type": item.sequence_type,
            "collection_date": day,
            "mandate_id": item.mandate_reference,
            "mandate_date": item.mandate_signed,
            "description": item.remittance,
            "endtoend_id": item.end_to_end_id,
        }
        if item.bic:
            payment["BIC"] = item.bic
        if item.address:
            payment["address"] = {
                "street_name": sepa_text(item.address["street"], 70),
                "postcode": sepa_text(item.address["postcode"], 16),
                "town": sepa_text(item.address["city"], 35),
                "country": item.address["country"],
            }
        sepa.add_payment(payment)
    xml = _stamp(bytes(sepa.export(validate=False)), batch_id, created)
    try_valid_xml(xml, SCHEMA)
    problems = epc_problems(xml)
    if problems:
        raise ValueError("pain.008 breaks the EPC rules: " + "; ".join(problems))
    return xml


def _stamp(xml: bytes, batch_id: str, created: dt.datetime) -> bytes:
    """Message and payment information ids from the batch id, creation time from our clock
    (sepaxml draws random ids and reads the wall clock)."""
    ET.register_namespace("", NS)
    root = ET.fromstring(xml)  # noqa: S314 - our own output
    header = root.find("p:CstmrDrctDbtInitn/p:GrpHdr", _Q)
    assert header is not None
    _set(header, "p:MsgId", batch_id)
    _set(header, "p:CreDtTm", created.strftime("%Y-%m-%dT%H:%M:%S"))
    for info in root.iterfind(".//p:PmtInf", _Q):
        sequence = info.findtext("p:PmtTpInf/p:SeqTp", default="", namespaces=_Q)
        _set(info, "p:PmtInfId", f"{batch_id}-{sequence}")
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def _set(node: ET.Element, path: str, text: str) -> None:
    found = node.find(path, _Q)
    assert found is not None, path
    found.text = text


def _texts(node: ET.Element, path: str) -> list[str]:
    return [n.text or "" for n in node.iterfind(path, _Q)]


def epc_problems(xml: bytes) -> list[str]:
    """What in a pain.008.001.08 file breaks the SEPA Core rules the XSD does not express."""
    root = ET.fromstring(xml)  # noqa: S314 - our own output or a test's
    problems: list[str] = []
    infos = list(root.iterfind(".//p:PmtInf", _Q))
    if not infos:
        problems.append("no payment information")
    for info in infos:
        problems += _info_problems(info)
    ids = _texts(root, ".//p:DrctDbtTxInf/p:PmtId/p:EndToEndId")
    if len(ids) != len(set(ids)):
        problems.append("an end-to-end id occurs twice")
    for path in (
        ".//p:Nm",
        ".//p:Ustrd",
        ".//p:EndToEndId",
        ".//p:MndtId",
        ".//p:MsgId",
        ".//p:PmtInfId",
        ".//p:StrtNm",
        ".//p:TwnNm",
        ".//p:PstCd",
    ):
        for text in _texts(root, path):
            if not SEPA_CHARACTERS.fullmatch(text):
                problems.append(f"{path[5:]} outside the SEPA character set: {text!r}")
    for path in (".//p:EndToEndId", ".//p:MndtId", ".//p:MsgId", ".//p:PmtInfId"):
        for text in _texts(root, path):
            if not text or len(text) > 35 or text.startswith("/") or "//" in text:
                problems.append(f"{path[5:]} is not a valid identifier: {text!r}")
    header_count = root.findtext(".//p:GrpHdr/p:NbOfTxs", default="", namespaces=_Q)
    if header_count != str(len(ids)):
        problems.append("the group header counts another number of transactions")
    return problems


def _info_problems(info: ET.Element) -> list[str]:
    problems = []
    if info.findtext("p:PmtTpInf/p:SvcLvl/p:Cd", namespaces=_Q) != "SEPA":
        problems.append("service level is not SEPA")
    if info.findtext("p:PmtTpInf/p:LclInstrm/p:Cd", namespaces=_Q) != "CORE":
        problems.append("local instrument is not CORE")
    if info.findtext("p:PmtTpInf/p:SeqTp", namespaces=_Q) not in ("FRST", "RCUR"):
        problems.append("sequence type is neither FRST nor RCUR")
    day = dt.date.fromisoformat(info.findtext("p:ReqdColltnDt", default="", namespaces=_Q))
    if not business_days.is_business_day(day):
        problems.append(f"{day} is not a TARGET2 business day")
    scheme = info.find("p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr", _Q)
    if scheme is None or scheme.findtext("p:SchmeNm/p:Prtry", namespaces=_Q) != "SEPA":
        problems.append("creditor scheme id missing or not of scheme SEPA")
    else:
        try:
            creditor_id_rules.validate(scheme.findtext("p:Id", default="", namespaces=_Q))
        except ValueError as exc:
            problems.append(f"creditor scheme id invalid: {exc}")
    for amount in info.iterfind(".//p:InstdAmt", _Q):
        value = Decimal(amount.text or "0")
        if amount.get("Ccy") != "EUR" or not Decimal("0.01") <= value <= Decimal("999999999.99"):
            problems.append(f"amount {value} {amount.get('Ccy')} outside SEPA limits")
    return problems
