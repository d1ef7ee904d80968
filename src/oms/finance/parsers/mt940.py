"""SWIFT MT940 through the maintained ``mt-940`` library, with line-numbered checks first."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import mt940 as mt940_lib
from mt940.tags import Statement as StatementTag

from oms.finance.errors import MalformedStatement
from oms.finance.parsers.base import ParsedLine, ParsedStatement, malformed, to_minor

__all__ = ["parse_mt940"]

_TAG = re.compile(r"^:(\d{2}[A-Z]?):(.*)$")
_KNOWN = {"20", "21", "25", "28", "28C", "60F", "60M", "61", "86", "62F", "62M", "64", "65"}
_STATEMENT_LINE = re.compile(StatementTag.pattern, re.VERBOSE | re.IGNORECASE)
_BALANCE = re.compile(r"^(?P<mark>[CD])\d{6}(?P<currency>[A-Z]{3})(?P<amount>[\d,]{1,16})$")
_AMOUNT = re.compile(r"^\d+,\d*$")


def parse_mt940(text: str) -> ParsedStatement:
    """Parse an MT940 file. Raises: ERR_FINANCE_MALFORMED_STATEMENT naming the line.

    Every amount is checked on its own line first, and each statement's opening balance plus
    its lines must equal its closing balance, so a damaged or truncated file is refused whole.
    """
    checked = _check_structure(text)
    try:
        transactions = mt940_lib.parse(text)
    except Exception as exc:  # the library raises bare errors on input it cannot read
        raise malformed(1, f"MT940 not readable: {exc}") from None
    account = transactions.data.get("account_identification")
    if len(transactions) != len(checked.line_numbers):
        raise malformed(1, "MT940 statement lines could not all be read")
    lines = [_line(t.data, no) for t, no in zip(transactions, checked.line_numbers, strict=True)]
    return ParsedStatement(account=str(account) if account else None, lines=lines)


@dataclass(slots=True)
class _Structure:
    """What the line-by-line check learnt: where each :61: is, and the running balance."""

    line_numbers: list[int] = field(default_factory=list)
    has_account: bool = False
    # The open statement: its opening balance (line, currency, minor units) and its lines.
    opening: tuple[int, str, int] | None = None
    movements: int = 0


def _check_structure(text: str) -> _Structure:
    """Every line is a known tag or a continuation; each :61: matches the standard layout."""
    state = _Structure()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        match = _TAG.match(line)
        if match is None:
            preamble = not state.line_numbers and not state.has_account
            if preamble and line and not line.startswith(("{", "-", "}")):
                raise malformed(number, f"expected an MT940 tag, found {line[:30]!r}")
            continue
        tag, content = match.groups()
        if tag not in _KNOWN:
            raise malformed(number, f"unknown MT940 tag :{tag}:")
        state.has_account = state.has_account or tag == "25"
        if tag == "61":
            _check_statement_line(state, number, content)
        elif tag in {"60F", "60M"}:
            currency, amount = _balance(number, tag, content)
            state.opening, state.movements = (number, currency, amount), 0
        elif tag in {"62F", "62M"}:
            _check_closing(state, number, tag, content)
    if not state.has_account:
        raise malformed(1, "no :25: account tag; is this an MT940 file?")
    if state.opening is not None:
        raise malformed(state.opening[0], "statement has no closing balance :62F:; truncated?")
    return state


def _check_statement_line(state: _Structure, number: int, content: str) -> None:
    found = _STATEMENT_LINE.match(content)
    if found is None:
        raise malformed(number, f"statement line :61: not valid: {content[:40]!r}")
    currency = state.opening[1] if state.opening else "CNY"
    amount = _amount(number, found["amount"], currency)
    # C and RD (reversal of a debit) add; D and RC subtract.
    state.movements += amount if found["status"] in {"C", "RD"} else -amount
    state.line_numbers.append(number)


def _check_closing(state: _Structure, number: int, tag: str, content: str) -> None:
    currency, closing = _balance(number, tag, content)
    if state.opening is None:
        raise malformed(number, f":{tag}: closing balance without an opening balance :60F:")
    opening_line, opening_currency, opening = state.opening
    if currency != opening_currency:
        raise malformed(number, f"closing currency {currency} is not {opening_currency}")
    if opening + state.movements != closing:
        raise MalformedStatement(
            f"line {number}: opening balance {_show(opening)} (line {opening_line}) plus the "
            f"lines {_show(state.movements)} is {_show(opening + state.movements)}, but the "
            f"closing balance is {_show(closing)}; the file is incomplete or damaged",
            line=number,
            problem="balance mismatch",
            opening=opening,
            lines_total=state.movements,
            computed_closing=opening + state.movements,
            closing=closing,
            currency=currency,
        )
    state.opening = None


def _balance(number: int, tag: str, content: str) -> tuple[str, int]:
    found = _BALANCE.match(content)
    if found is None:
        raise malformed(number, f"balance :{tag}: not valid: {content[:40]!r}")
    currency = found["currency"].upper()
    amount = _amount(number, found["amount"], currency)
    return currency, amount if found["mark"] == "C" else -amount


def _amount(number: int, raw: str, currency: str) -> int:
    """An MT940 amount: digits with exactly one decimal comma (``1288,50``, ``10,``)."""
    if _AMOUNT.match(raw) is None:
        raise malformed(number, f"amount {raw!r} is not an MT940 amount (digits, one comma)")
    return to_minor(raw.replace(",", "."), currency, line_no=number)


def _show(minor: int) -> str:
    return f"{minor / 100:.2f}"


def _line(data: dict[str, Any], line_no: int) -> ParsedLine:
    amount = data["amount"]
    currency = str(amount.currency)
    memo = _memo(data)
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


# A structured :86: (``166?00GUTSCHRIFT?20EREF+…?21SVWZ+…?32Payer``, as German and many
# Chinese banks write it) is split by the library into named fields, and its raw text is
# dropped. The memo is put back together from them — purpose first (the library has already
# joined ?20-?29, so a number cut across two subfields is whole again), then the end-to-end
# reference and the payer — so references and names reach the matcher.
_STRUCTURED_MEMO_FIELDS = (
    "purpose",
    "additional_purpose",
    "end_to_end_reference",
    "additional_position_reference",
    "posting_text",
    "applicant_name",
    "deviate_applicant",
)


def _memo(data: dict[str, Any]) -> str:
    raw = str(data.get("transaction_details") or "").replace("\n", " ").strip()
    if raw:
        return raw
    parts = (str(data.get(key) or "").strip() for key in _STRUCTURED_MEMO_FIELDS)
    return " ".join(part for part in parts if part)


def _plain(value: date | None) -> date | None:
    """The library's ``Date`` subclass as a plain ``date``, which every driver adapts."""
    return None if value is None else date(value.year, value.month, value.day)


def _plain_date(value: date) -> date:
    return date(value.year, value.month, value.day)
