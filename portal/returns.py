"""Reading the bank's answers: pain.002 (rejects before settlement) and camt.054 (returns and
refunds after it). Each returned debit is found by its end-to-end id and carries its ISO
reason code (AC04 closed account, AM04 insufficient funds, MD06 refund, MD01 no mandate, …).

Any version of either message is read: elements are matched by their local names.

>>> xml = b'''<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>
... <OrgnlPmtInfAndSts><TxInfAndSts><OrgnlEndToEndId>R-1</OrgnlEndToEndId><TxSts>RJCT</TxSts>
... <StsRsnInf><Rsn><Cd>AC04</Cd></Rsn></StsRsnInf></TxInfAndSts></OrgnlPmtInfAndSts>
... </CstmrPmtStsRpt></Document>'''
>>> parse(xml)
('pain.002', [Returned(end_to_end_id='R-1', reason='AC04')])
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass


class ReturnFileError(ValueError):
    """The file is neither a pain.002 nor a camt.054 we can read."""


@dataclass(frozen=True)
class Returned:
    end_to_end_id: str
    reason: str


@dataclass(frozen=True)
class RejectedWhole:
    """A whole file (``MsgId`` = batch id) or payment information block (``PmtInfId``)
    rejected at once: every debit in it is returned with the reason."""

    message_id: str | None
    payment_information_id: str | None
    reason: str


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(node: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in node.iter() if _local(child.tag) == name]


def _first_text(node: ET.Element, *path: str) -> str:
    current: list[ET.Element] = [node]
    for name in path:
        current = [c for n in current for c in n if _local(c.tag) == name]
    return (current[0].text or "").strip() if current else ""


def parse(data: bytes) -> tuple[str, list[Returned]]:
    """The kind of file and the debits it returns or rejects."""
    if b"<!DOCTYPE" in data[:2048].upper() or b"<!ENTITY" in data.upper():
        raise ReturnFileError("DTDs and entities are not accepted")
    try:
        root = ET.fromstring(data)  # noqa: S314 - DTDs refused above
    except ET.ParseError as exc:
        raise ReturnFileError(f"not XML: {exc}") from exc
    if _children(root, "CstmrPmtStsRpt"):
        return "pain.002", _pain002(root)
    if _children(root, "BkToCstmrDbtCdtNtfctn"):
        return "camt.054", _camt054(root)
    raise ReturnFileError("neither pain.002 (CstmrPmtStsRpt) nor camt.054 (BkToCstmrDbtCdtNtfctn)")


def rejected_wholes(data: bytes) -> list[RejectedWhole]:
    """Rejections of a whole batch or payment block in a pain.002 (no per-debit status).

    >>> xml = (b'<Document><CstmrPmtStsRpt><OrgnlGrpInfAndSts><OrgnlMsgId>DD-20270215-01'
    ...        b'</OrgnlMsgId><GrpSts>RJCT</GrpSts><StsRsnInf><Rsn><Cd>FF01</Cd></Rsn>'
    ...        b'</StsRsnInf></OrgnlGrpInfAndSts></CstmrPmtStsRpt></Document>')
    >>> rejected_wholes(xml)
    [RejectedWhole(message_id='DD-20270215-01', payment_information_id=None, reason='FF01')]
    """
    kind, _ = parse(data)
    if kind != "pain.002":
        return []
    root = ET.fromstring(data)  # noqa: S314 - checked by parse
    found = []
    for group in _children(root, "OrgnlGrpInfAndSts"):
        if _first_text(group, "GrpSts") == "RJCT":
            reason = _first_text(group, "StsRsnInf", "Rsn", "Cd") or "NARR"
            found.append(RejectedWhole(_first_text(group, "OrgnlMsgId"), None, reason))
    for block in _children(root, "OrgnlPmtInfAndSts"):
        if _first_text(block, "PmtInfSts") == "RJCT":
            reason = _first_text(block, "StsRsnInf", "Rsn", "Cd") or "NARR"
            found.append(RejectedWhole(None, _first_text(block, "OrgnlPmtInfId"), reason))
    return found


def _pain002(root: ET.Element) -> list[Returned]:
    found = []
    for tx in _children(root, "TxInfAndSts"):
        if _first_text(tx, "TxSts") not in ("RJCT", ""):
            continue
        e2e = _first_text(tx, "OrgnlEndToEndId")
        reason = _first_text(tx, "StsRsnInf", "Rsn", "Cd") or _first_text(
            tx, "StsRsnInf", "Rsn", "Prtry"
        )
        if e2e:
            found.append(Returned(e2e, reason or "NARR"))
    return found


def _camt054(root: ET.Element) -> list[Returned]:
    found = []
    for tx in _children(root, "TxDtls"):
        info = [c for c in tx if _local(c.tag) == "RtrInf"]
        if not info:
            continue  # a plain booking, not a return
        e2e = _first_text(tx, "Refs", "EndToEndId")
        reason = _first_text(info[0], "Rsn", "Cd") or _first_text(info[0], "Rsn", "Prtry")
        if e2e:
            found.append(Returned(e2e, reason or "NARR"))
    return found
