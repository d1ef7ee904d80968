"""What every statement parser returns, and the helpers they share."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from oms.core.money import CURRENCY_EXPONENTS
from oms.finance.errors import MalformedStatement

_LIMIT = Decimal(10) ** 15

__all__ = ["ParsedLine", "ParsedStatement", "assign_dedupe_keys", "malformed", "to_minor"]


@dataclass(frozen=True, slots=True)
class ParsedLine:
    """One booked entry. ``amount`` is signed minor units, credit positive."""

    line_no: int
    value_date: date
    amount: int
    currency: str
    memo: str
    booking_date: date | None = None
    reference: str | None = None
    # The bank's own reference: MT940 :61: after "//", camt.053 AcctSvcrRef.
    bank_reference: str | None = None
    # camt.053 NtryRef: the entry's reference within the statement (MT940 has none).
    entry_reference: str | None = None
    # The fields that identify the entry at the bank; hashed into the dedupe key.
    identity: tuple[str, ...] = ()
    dedupe_key: str = ""


@dataclass(frozen=True, slots=True)
class ParsedStatement:
    account: str | None
    lines: list[ParsedLine] = field(default_factory=list)


def malformed(line_no: int, problem: str) -> MalformedStatement:
    """The error for a file that cannot be read, naming the (1-based) line."""
    return MalformedStatement(f"line {line_no}: {problem}", line=line_no, problem=problem)


def to_minor(value: Decimal | str, currency: str, *, line_no: int) -> int:
    """Exact conversion to minor units; more decimals than the currency has is an error."""
    try:
        amount = Decimal(value) if isinstance(value, str) else value
        exponent = CURRENCY_EXPONENTS.get(currency, 2)
        scaled = amount.scaleb(exponent)
        whole = scaled.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    except (InvalidOperation, ValueError):
        raise malformed(line_no, f"amount {value!s} is not a number") from None
    if whole != scaled:
        raise malformed(line_no, f"amount {value!s} has more decimals than {currency} allows")
    if abs(whole) >= _LIMIT:
        raise malformed(line_no, f"amount {value!s} is out of range")
    return int(whole)


def assign_dedupe_keys(account: str | None, lines: list[ParsedLine]) -> list[ParsedLine]:
    """Key each line by account + identity; identical entries in one file get an ordinal."""
    seen: Counter[str] = Counter()
    keyed: list[ParsedLine] = []
    for line in lines:
        base = "\x1f".join((account or "", *line.identity))
        seen[base] += 1
        digest = hashlib.sha256(f"{base}\x1e{seen[base]}".encode()).hexdigest()
        keyed.append(_replace_key(line, digest))
    return keyed


def _replace_key(line: ParsedLine, key: str) -> ParsedLine:
    from dataclasses import replace

    return replace(line, dedupe_key=key)
