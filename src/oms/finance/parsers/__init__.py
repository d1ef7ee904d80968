"""Statement parsers: MT940 (``mt-940`` library), camt.053 (defusedxml), CSV (layout), and the
payment platforms' daily bills (Alipay, WeChat Pay)."""

from __future__ import annotations

from oms.finance.errors import MalformedStatement, UnsupportedStatementFormat
from oms.finance.parsers.base import ParsedLine, ParsedStatement, assign_dedupe_keys, malformed
from oms.finance.parsers.bills import parse_alipay_bill, parse_wechatpay_bill
from oms.finance.parsers.camt053 import parse_camt053
from oms.finance.parsers.csv import CsvLayout, parse_csv
from oms.finance.parsers.mt940 import parse_mt940

__all__ = ["FORMATS", "CsvLayout", "ParsedLine", "ParsedStatement", "parse_statement"]

FORMATS = ("mt940", "camt053", "csv", "alipay_bill", "wechatpay_bill")


def parse_statement(data: bytes, fmt: str, layout: CsvLayout) -> ParsedStatement:
    """Parse ``data`` as ``fmt``; lines carry dedupe keys.

    Raises: ERR_FINANCE_UNSUPPORTED_FORMAT, ERR_FINANCE_MALFORMED_STATEMENT.
    """
    is_zip = fmt == "alipay_bill" and data[:2] == b"PK"
    if b"\x00" in data and not is_zip:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise malformed(line, "the file contains NUL bytes; is it a text statement?")
    if fmt == "mt940":
        parsed = parse_mt940(_text(data))
    elif fmt == "camt053":
        parsed = parse_camt053(data)
    elif fmt == "csv":
        parsed = parse_csv(data, layout)
    elif fmt == "alipay_bill":
        parsed = parse_alipay_bill(data)
    elif fmt == "wechatpay_bill":
        parsed = parse_wechatpay_bill(data)
    else:
        raise UnsupportedStatementFormat(f"unknown format {fmt!r}", allowed=list(FORMATS))
    if not parsed.lines:
        raise MalformedStatement("the file holds no booked statement lines", line=None)
    return ParsedStatement(parsed.account, assign_dedupe_keys(parsed.account, parsed.lines))


def _text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise malformed(1, "MT940 file is neither UTF-8 nor GB18030 text")
