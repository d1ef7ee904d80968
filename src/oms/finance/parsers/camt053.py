"""ISO 20022 camt.053 (any version ``camt.053.001.NN``), read with ``defusedxml``.

Only a ``Document`` in a ``urn:iso:std:iso:20022:tech:xsd:camt.053.001.NN`` namespace whose
child is ``BkToCstmrStmt`` is a statement; anything else (camt.052, camt.054, pain.*, or a
lookalike in an unknown namespace) is refused before a line is read. Inside that document
elements are matched by local name, which every version shares. ``defusedxml`` refuses DTDs,
entity declarations and external references, so XML bombs and XXE never expand.

No camt.053 library is widely adopted (protocols.md 7.4), so this is a small parser.
Only booked entries are taken (``PDNG`` and ``INFO`` are not money yet).
"""

from __future__ import annotations

import re
from datetime import date
from xml.etree import ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from oms.finance.parsers.base import ParsedLine, ParsedStatement, malformed, to_minor

__all__ = ["parse_camt053"]

_NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.\d{2}$")


def parse_camt053(data: bytes) -> ParsedStatement:
    """Parse a camt.053 document. Raises: ERR_FINANCE_MALFORMED_STATEMENT naming the line."""
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        problem = f"DOCTYPE, entities and external references are refused: {exc}"
        raise malformed(1, problem) from None
    except ET.ParseError as exc:
        raise malformed(exc.position[0], f"XML not well-formed: {exc}") from None
    _check_document(root)
    statements = [el for el in root.iter() if _local(el) == "Stmt"]
    if not statements:
        raise malformed(1, "no BkToCstmrStmt/Stmt element; is this camt.053?")
    account = _text(statements[0], "Acct", "Id", "IBAN") or _text(
        statements[0], "Acct", "Id", "Othr", "Id"
    )
    lines: list[ParsedLine] = []
    for statement in statements:
        for number, entry in enumerate(_children(statement, "Ntry"), start=1):
            if _status(entry) == "BOOK":
                lines.append(_entry(entry, len(lines) + 1, number))
    return ParsedStatement(account=account, lines=lines)


def _check_document(root: ET.Element) -> None:
    """``{urn:…:camt.053.001.NN}Document`` holding ``BkToCstmrStmt``, or the file is refused."""
    namespace, _, name = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", "")
    if name != "Document" or not _NAMESPACE.match(namespace):
        shown = namespace or "none"
        raise malformed(
            1,
            f"not a camt.053 document: root {_local(root)!r} in namespace {shown!r}, expected "
            "Document in urn:iso:std:iso:20022:tech:xsd:camt.053.001.NN",
        )
    body = [child for child in root if child.tag == f"{{{namespace}}}BkToCstmrStmt"]
    if len(body) != 1 or len(root) != 1:
        raise malformed(1, "not a camt.053 document: Document must hold one BkToCstmrStmt")


def _local(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if _local(child) == name]


def _find(element: ET.Element, *path: str) -> ET.Element | None:
    current: ET.Element | None = element
    for name in path:
        if current is None:
            return None
        found = _children(current, name)
        current = found[0] if found else None
    return current


def _text(element: ET.Element, *path: str) -> str | None:
    found = _find(element, *path)
    return found.text.strip() if found is not None and found.text else None


def _status(entry: ET.Element) -> str:
    return (_text(entry, "Sts", "Cd") or _text(entry, "Sts") or "BOOK").upper()


def _entry(entry: ET.Element, line_no: int, entry_no: int) -> ParsedLine:
    amount_el = _find(entry, "Amt")
    if amount_el is None or not amount_el.text:
        raise malformed(line_no, f"entry {entry_no} has no Amt")
    currency = amount_el.get("Ccy", "").upper()
    if len(currency) != 3:
        raise malformed(line_no, f"entry {entry_no} Amt has no Ccy")
    amount = to_minor(amount_el.text.strip(), currency, line_no=line_no)
    indicator = _text(entry, "CdtDbtInd")
    if indicator not in {"CRDT", "DBIT"}:
        raise malformed(line_no, f"entry {entry_no} CdtDbtInd is {indicator!r}")
    signed = amount if indicator == "CRDT" else -amount
    if (_text(entry, "RvslInd") or "").lower() == "true":
        signed = -signed
    value_date = _date(entry, "ValDt", line_no, entry_no)
    memo, reference = _remittance(entry)
    bank_ref = _text(entry, "AcctSvcrRef")
    identity = (bank_ref,) if bank_ref else (str(value_date), str(signed), currency, memo)
    return ParsedLine(
        line_no=line_no,
        value_date=value_date,
        booking_date=_optional_date(entry, "BookgDt"),
        amount=signed,
        currency=currency,
        memo=memo,
        reference=reference,
        bank_reference=bank_ref,
        entry_reference=_text(entry, "NtryRef"),
        identity=identity,
    )


def _remittance(entry: ET.Element) -> tuple[str, str | None]:
    texts: list[str] = []
    reference: str | None = None
    for details in entry.iter():
        name = _local(details)
        value = details.text.strip() if details.text else ""
        if name in {"Ustrd", "Ref", "AddtlNtryInf", "AddtlTxInf", "Nm"} and value:
            texts.append(value)
        if name == "EndToEndId" and value and value != "NOTPROVIDED":
            reference = reference or value
            texts.append(value)
    return " ".join(texts), reference


def _date(entry: ET.Element, name: str, line_no: int, entry_no: int) -> date:
    found = _optional_date(entry, name) or _optional_date(entry, "BookgDt")
    if found is None:
        raise malformed(line_no, f"entry {entry_no} has no {name}/Dt")
    return found


def _optional_date(entry: ET.Element, name: str) -> date | None:
    raw = _text(entry, name, "Dt") or _text(entry, name, "DtTm")
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        return None
