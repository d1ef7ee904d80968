"""Voucher import files, for merchants whose Kingdee or U8 oms cannot reach over an API.

Kingdee Cloud Galaxy imports vouchers (引入) from its own template: a row of field keys
(``FBillHead(GL_VOUCHER)``, ``FAccountBookID``, … ``*Split*1``, ``FEntity``, ``FEXPLANATION``,
``FACCOUNTID``, ``FDEBIT``, ``FCREDIT``), a row of captions, then one row per entry; the first
entry of a voucher carries the header values, the next ones leave them empty. U8's 总账工具
凭证引入 reads a text file whose first line is ``填制凭证,V800`` and then one comma-separated
line per entry (date, voucher type, business number, attachments, summary, account, debit,
credit): the same date, type and business number make one voucher.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import xlsxwriter

from oms.accounting.sinks.vouchers import Voucher, yuan

__all__ = ["KINGDEE_CAPTIONS", "KINGDEE_KEYS", "kingdee_rows", "u8_lines", "write_voucher_file"]

KINGDEE_KEYS = (
    "FBillHead(GL_VOUCHER)",
    "FAccountBookID",
    "FDate",
    "FVOUCHERGROUPID",
    "FATTACHMENTS",
    "*Split*1",
    "FEntity",
    "FEXPLANATION",
    "FACCOUNTID",
    "FCURRENCYID",
    "FEXCHANGERATETYPE",
    "FEXCHANGERATE",
    "FAMOUNTFOR",
    "FDEBIT",
    "FCREDIT",
)
KINGDEE_CAPTIONS = (
    "单据头(序号)",
    "账簿(编码)",
    "日期",
    "凭证字(编码)",
    "附件数",
    "间隔列",
    "分录(序号)",
    "摘要",
    "科目编码(编码)",
    "币别(编码)",
    "汇率类型(编码)",
    "汇率",
    "原币金额",
    "借方金额",
    "贷方金额",
)
U8_HEADER = "填制凭证,V800"
_U8_SUMMARY_MAX = 60
_U8_NUMBER_MAX = 30
_FORMATS = {"kingdee": (".xlsx", ".csv"), "u8": (".txt", ".csv")}


def kingdee_rows(vouchers: Iterable[Voucher], settings: Mapping[str, Any]) -> list[list[str]]:
    """The rows of Kingdee's voucher import template, keys and captions first."""
    rows = [list(KINGDEE_KEYS), list(KINGDEE_CAPTIONS)]
    for voucher in vouchers:
        for index, line in enumerate(voucher.lines):
            amount = yuan(line.debit or line.credit, voucher.currency)
            head = [
                voucher.number,
                settings.get("account_book", ""),
                voucher.date.isoformat(),
                settings.get("voucher_group", "PRE001"),
                "0",
            ]
            entry = [
                str(index + 1),
                line.explanation,
                line.account,
                settings.get("currency", "PRE001"),
                "HLTX01_SYS",
                "1",
                amount,
                amount if line.debit else "",
                "" if line.debit else amount,
            ]
            rows.append((head if index == 0 else [""] * len(head)) + [""] + entry)
    return rows


def u8_lines(vouchers: Iterable[Voucher], settings: Mapping[str, Any]) -> list[list[str]]:
    """The entry lines of U8's 凭证引入 text (without its ``填制凭证,V800`` first line)."""
    lines = []
    for voucher in vouchers:
        number = voucher.number.replace("-", "")[:_U8_NUMBER_MAX]
        for line in voucher.lines:
            lines.append(
                [
                    voucher.date.isoformat(),
                    str(settings.get("voucher_type", "记")),
                    number,
                    "0",
                    line.explanation[:_U8_SUMMARY_MAX],
                    line.account,
                    yuan(line.debit, voucher.currency),
                    yuan(line.credit, voucher.currency),
                    "",
                    "",
                    "",
                    str(settings.get("enter", "")),
                ]
            )
    return lines


def write_voucher_file(
    sink: str, vouchers: list[Voucher], settings: Mapping[str, Any], path: Path
) -> int:
    """Write the vouchers in ``sink``'s import layout, by ``path``'s suffix; the entries written.

    Kingdee: ``.xlsx`` (the template) or ``.csv`` (UTF-8 with BOM); U8: ``.txt`` (GBK, what the
    总账工具 reads) or ``.csv`` (UTF-8). Raises ``ValueError`` for another sink or suffix.
    """
    suffix = path.suffix.lower()
    if suffix not in _FORMATS.get(sink, ()):
        raise ValueError(f"{sink} vouchers are written as {' or '.join(_FORMATS.get(sink, ()))}")
    if sink == "kingdee":
        rows = kingdee_rows(vouchers, settings)
        if suffix == ".xlsx":
            _xlsx(rows, path)
        else:
            path.write_text(_csv(rows), encoding="utf-8-sig")
        return len(rows) - 2
    lines = u8_lines(vouchers, settings)
    if suffix == ".txt":
        text = U8_HEADER + "\r\n" + "\r\n".join(",".join(_u8_field(f) for f in ln) for ln in lines)
        path.write_bytes((text + "\r\n").encode("gbk", errors="replace"))
    else:
        path.write_text(_csv([[U8_HEADER], *lines]), encoding="utf-8")
    return len(lines)


def _u8_field(value: str) -> str:
    # The text has no quoting: a comma in a summary would shift every later field.
    return value.replace(",", "，").replace("\r", " ").replace("\n", " ")  # noqa: RUF001


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def _xlsx(rows: list[list[str]], path: Path) -> None:
    # Text is text: an account code stays "1002" and no summary becomes a formula or a link.
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    workbook = xlsxwriter.Workbook(str(path), options)
    try:
        sheet = workbook.add_worksheet("GL_VOUCHER")
        for number, row in enumerate(rows):
            sheet.write_row(number, 0, row)
    finally:
        workbook.close()
