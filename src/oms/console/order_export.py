"""The orders list as CSV or Excel, a batch of rows at a time.

CSV is streamed as it is written, UTF-8 with a BOM (the BOM makes Excel read it as UTF-8, so
Chinese names stay readable). Excel (XLSX) is a zip whose directory comes last, so it is
written to a temporary file in XlsxWriter's constant-memory mode (one row in memory at a time)
and streamed from there. Times are in the tenant's zone, phones are masked as on the page, and
amounts are in major units (yuan, two decimals): numbers in both formats.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any

import xlsxwriter

from oms.console.formatting import local_time, mask_phone
from oms.console.i18n import N_, STATUS_LABELS
from oms.core.money import CURRENCY_EXPONENTS
from oms.orders.queries import ExportRow

__all__ = ["COLUMNS", "FLUSH_ROWS", "FORMATS", "csv_chunks", "filename", "xlsx_chunks"]

BOM = "\ufeff"
# Rows per chunk handed to the client: small enough to start at once, big enough to be cheap.
FLUSH_ROWS = 200
# The export formats and their media types.
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
XLSX_CHUNK_BYTES = 64 * 1024
# Which of COLUMNS is the amount: a number cell in Excel.
AMOUNT_COLUMN = 6
COLUMNS = (
    N_("Order number"),
    N_("Platform order number"),
    N_("Status"),
    N_("Channel"),
    N_("Buyer"),
    N_("Phone"),
    N_("Total"),
    N_("Created at"),
    N_("Paid at"),
    N_("Shipped at"),
)


def filename(stamp: str, fmt: str = "csv") -> str:
    return f"orders-{stamp}.{fmt}"


def csv_chunks(
    rows: Iterable[ExportRow], *, timezone: str, gettext: Callable[[str], str]
) -> Iterator[bytes]:
    """The CSV file in chunks: the BOM and header first, then ``FLUSH_ROWS`` rows each."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([gettext(c) for c in COLUMNS])
    yield (BOM + _drain(buffer)).encode()
    pending = 0
    for row in rows:
        writer.writerow(_cells(row, timezone, gettext))
        pending += 1
        if pending == FLUSH_ROWS:
            yield _drain(buffer).encode()
            pending = 0
    if pending:
        yield _drain(buffer).encode()


def _cells(
    row: ExportRow,
    timezone: str,
    gettext: Callable[[str], str],
    text: Callable[[str], str] = lambda value: _safe(value),
) -> list[str]:
    """The row's cells as text; ``text`` guards what buyers and platforms wrote."""
    status = STATUS_LABELS.get(row.status.value)
    return [
        text(row.order_no),
        text(row.external_id or ""),
        gettext(status) if status else row.status.value,
        text(row.channel),
        text(row.buyer_name or ""),
        mask_phone(row.buyer_phone) if row.buyer_phone else "",
        _amount(row.total, row.currency),
        local_time(row.created_at, timezone),
        local_time(row.paid_at, timezone) if row.paid_at else "",
        local_time(row.shipped_at, timezone) if row.shipped_at else "",
    ]


def _safe(text: str) -> str:
    """Text a spreadsheet will not run as a formula (CSV injection: ``=``, ``+``, ``-``, ``@``)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _amount(minor: int, currency: str) -> str:
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    return f"{Decimal(minor).scaleb(-exponent):.{exponent}f}"


def xlsx_chunks(
    rows: Iterable[ExportRow], *, timezone: str, gettext: Callable[[str], str]
) -> Iterator[bytes]:
    """The XLSX file in chunks, written first to a temporary file that is removed after."""
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        _write_xlsx(path, rows, timezone, gettext)
        with open(path, "rb") as written:
            while chunk := written.read(XLSX_CHUNK_BYTES):
                yield chunk
    finally:
        os.unlink(path)


def _write_xlsx(
    path: str, rows: Iterable[ExportRow], timezone: str, gettext: Callable[[str], str]
) -> None:
    # Text is text: no cell becomes a formula or a link, whatever a buyer typed.
    options = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    workbook = xlsxwriter.Workbook(path, options)
    try:
        sheet = workbook.add_worksheet(gettext("Orders")[:31])
        amount_formats: dict[int, Any] = {}
        sheet.write_row(0, 0, [gettext(c) for c in COLUMNS])
        for index, row in enumerate(rows, start=1):
            cells = _cells(row, timezone, gettext, text=str)
            exponent = CURRENCY_EXPONENTS.get(row.currency, 2)
            if exponent not in amount_formats:
                pattern = "0." + "0" * exponent if exponent else "0"
                amount_formats[exponent] = workbook.add_format({"num_format": pattern})
            sheet.write_row(index, 0, cells[:AMOUNT_COLUMN])
            sheet.write_number(
                index, AMOUNT_COLUMN, float(cells[AMOUNT_COLUMN]), amount_formats[exponent]
            )
            sheet.write_row(index, AMOUNT_COLUMN + 1, cells[AMOUNT_COLUMN + 1 :])
    finally:
        workbook.close()
