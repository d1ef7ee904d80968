"""SWIFT MT940 through the maintained ``mt-940`` library, with line-numbered checks first."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from decimal import Decimal
from typing import Any

import mt940 as mt940_lib
from mt940.tags import Statement as StatementTag

from oms.finance.parsers.base import ParsedLine, ParsedStatement, malformed, to_minor

__all__ = ["parse_mt940"]

_TAG = re.compile(r"^:(\d{2}[A-Z]?):(.*)$")
_KNOWN = {"20", "21", "25", "28", "28C", "60F", "60M", "61", "86", "62F", "62M", "64", "65"}
_STATEMENT_LINE = re.compile(StatementTag.pattern, re.VERBOSE | re.IGNORECASE)


def parse_mt940(text: str) -> ParsedStatement:
    """Parse an MT940 file. Raises: ERR_FINANCE_MALFORMED_STATEMENT naming the line."""
    line_numbers = _check_structure(text)
    try:
        transactions = mt940_lib.parse(text)
    except Exception as exc:  # the library raises bare errors on input it cannot read
        raise malformed(1, f"MT940 not readable: {exc}") from None
    account = transactions.data.get("account_identification")
    if len(transactions) != len(line_numbers):
        raise malformed(1, "MT940 statement lines could not all be read")
    lines = [_line(t.data, no) for t, no in zip(transactions, line_numbers, strict=True)]
    return ParsedStatement(account=str(account) if account else None, lines=lines)


def _check_structure(text: str) -> list[int]:
    """Every line is a known tag or a continuation; each :61: matches the standard layout."""
    found: list[int] = []
    has_account = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        match = _TAG.match(line)
        if match is None:
            if not found and not has_account and line and not line.startswith(("{", "-", "}")):
                raise malformed(number, f"expected an MT940 tag, found {line[:30]!r}")
            continue
        tag, content = match.groups()
        if tag not in _KNOWN:
            raise malformed(number, f"unknown MT940 tag :{tag}:")
        has_account = has_account or tag == "25"
        if tag == "61":
            if _STATEMENT_LINE.match(content) is None:
                raise malformed(number, f"statement line :61: not valid: {content[:40]!r}")
            found.append(number)
    if not has_account:
        raise malformed(1, "no :25: account tag; is this an MT940 file?")
    return found


def _line(data: dict[str, Any], line_no: int) -> ParsedLine:
    amount = data["amount"]
    currency = str(amount.currency)
    memo = str(data.get("transaction_details") or "").replace("\n", " ").strip()
    extra = str(data.get("extra_details") or "").strip()
    reference = str(data.get("customer_reference") or "") or None
    if reference == "NONREF":
        reference = None
    identity = (
        str(data["date"]),
        str(data.get("entry_date") or ""),
        str(data.get("status")),
        str(amount.amount),
        reference or "",
        str(data.get("bank_reference") or ""),
        hashlib.sha256(memo.encode()).hexdigest(),
    )
    return ParsedLine(
        line_no=line_no,
        value_date=_plain_date(data["date"]),
        booking_date=_plain(data.get("entry_date")),
        amount=to_minor(Decimal(amount.amount), currency, line_no=line_no),
        currency=currency,
        memo=" ".join(x for x in (memo, extra) if x),
        reference=reference,
        bank_reference=str(data.get("bank_reference") or "") or None,
        identity=identity,
    )


def _plain(value: date | None) -> date | None:
    """The library's ``Date`` subclass as a plain ``date``, which every driver adapts."""
    return None if value is None else date(value.year, value.month, value.day)


def _plain_date(value: date) -> date:
    return date(value.year, value.month, value.day)
