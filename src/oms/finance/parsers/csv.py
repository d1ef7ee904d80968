"""Bank CSV exports with a per-tenant column layout (``CsvLayout``)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from oms.finance.parsers.base import ParsedLine, ParsedStatement, malformed, to_minor

__all__ = ["CsvLayout", "parse_csv"]


@dataclass(frozen=True, slots=True)
class CsvLayout:
    """Which column holds what, and how amounts are written.

    ``sign``: ``signed`` (negative is a debit), ``columns`` (separate ``credit_column`` and
    ``debit_column``) or ``indicator`` (``indicator_column`` whose value is in
    ``debit_values`` for debits). ``decimal`` is ``.`` or ``,``; thousands separators
    (space, apostrophe, the other of . and ,) are dropped.
    """

    date_column: str = "date"
    amount_column: str = "amount"
    currency_column: str | None = "currency"
    memo_columns: tuple[str, ...] = ("memo",)
    reference_column: str | None = "reference"
    date_format: str = "%Y-%m-%d"
    decimal: str = "."
    sign: str = "signed"
    credit_column: str | None = None
    debit_column: str | None = None
    indicator_column: str | None = None
    debit_values: tuple[str, ...] = ("D", "DR", "DEBIT", "借")
    default_currency: str = "CNY"
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    account: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def parse_csv(data: bytes, layout: CsvLayout) -> ParsedStatement:
    """Parse a CSV export. Raises: ERR_FINANCE_MALFORMED_STATEMENT naming the line."""
    try:
        text = data.decode(layout.encoding)
    except (UnicodeDecodeError, LookupError):
        raise malformed(1, f"file is not {layout.encoding} text") from None
    reader = csv.DictReader(io.StringIO(text), delimiter=layout.delimiter)
    lines: list[ParsedLine] = []
    try:
        _check_header(list(reader.fieldnames or []), layout)
        for row in reader:
            if any(isinstance(v, str) and v.strip() for v in row.values()):
                lines.append(_line(row, reader.line_num, layout))
    except (csv.Error, TypeError) as exc:
        raise malformed(reader.line_num or 1, f"not readable as CSV: {exc}") from None
    return ParsedStatement(account=layout.account, lines=lines)


def _check_header(header: list[str], layout: CsvLayout) -> None:
    needed = [layout.date_column, *layout.memo_columns]
    if layout.sign == "columns":
        needed += [c for c in (layout.credit_column, layout.debit_column) if c]
    else:
        needed.append(layout.amount_column)
    if layout.sign == "indicator" and layout.indicator_column:
        needed.append(layout.indicator_column)
    missing = [name for name in needed if name not in header]
    if missing:
        raise malformed(1, f"header lacks column(s) {', '.join(missing)}")


def _line(row: dict[str, str], line_no: int, layout: CsvLayout) -> ParsedLine:
    currency = (row.get(layout.currency_column or "") or layout.default_currency).strip()
    if len(currency) != 3:
        raise malformed(line_no, f"currency {currency!r} is not an ISO 4217 code")
    amount = _amount(row, line_no, layout, currency.upper())
    value_date = _date(row.get(layout.date_column, ""), line_no, layout)
    memo = " ".join((row.get(c) or "").strip() for c in layout.memo_columns).strip()
    reference = (row.get(layout.reference_column or "") or "").strip() or None
    identity = (str(value_date), str(amount), currency.upper(), reference or "", memo)
    return ParsedLine(
        line_no=line_no,
        value_date=value_date,
        amount=amount,
        currency=currency.upper(),
        memo=memo,
        reference=reference,
        identity=identity,
    )


def _amount(row: dict[str, str], line_no: int, layout: CsvLayout, currency: str) -> int:
    if layout.sign == "columns":
        credit = _number(row.get(layout.credit_column or "", ""), line_no, layout, currency)
        debit = _number(row.get(layout.debit_column or "", ""), line_no, layout, currency)
        return abs(credit) - abs(debit)
    value = _number(row.get(layout.amount_column, ""), line_no, layout, currency)
    if layout.sign == "indicator":
        mark = (row.get(layout.indicator_column or "") or "").strip().upper()
        return -abs(value) if mark in {v.upper() for v in layout.debit_values} else abs(value)
    return value


def _number(raw: str | None, line_no: int, layout: CsvLayout, currency: str) -> int:
    text = (raw or "").strip().replace(" ", "").replace("'", "").replace("\u00a0", "")
    if not text:
        return 0
    thousands = "," if layout.decimal == "." else "."
    text = text.replace(thousands, "").replace(layout.decimal, ".")
    if text.startswith("(") and text.endswith(")"):
        text = "-" + text[1:-1]
    return to_minor(text, currency, line_no=line_no)


def _date(raw: str, line_no: int, layout: CsvLayout) -> date:
    try:
        return datetime.strptime(raw.strip(), layout.date_format).date()
    except ValueError:
        raise malformed(line_no, f"date {raw!r} does not match {layout.date_format}") from None
