"""The orders list as CSV: streamed, a batch of rows at a time, UTF-8 with a BOM.

The BOM makes Excel read the file as UTF-8 (Chinese names stay readable). Times are in the
tenant's zone, phones are masked as on the page, and amounts are in major units (yuan, two
decimals) without thousands separators, so spreadsheets read them as numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

from oms.console.formatting import local_time, mask_phone
from oms.console.i18n import N_, STATUS_LABELS
from oms.core.money import CURRENCY_EXPONENTS
from oms.orders.queries import ExportRow

__all__ = ["COLUMNS", "FLUSH_ROWS", "csv_chunks", "filename"]

BOM = "\ufeff"
# Rows per chunk handed to the client: small enough to start at once, big enough to be cheap.
FLUSH_ROWS = 200
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


def filename(stamp: str) -> str:
    return f"orders-{stamp}.csv"


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


def _cells(row: ExportRow, timezone: str, gettext: Callable[[str], str]) -> list[str]:
    status = STATUS_LABELS.get(row.status.value)
    return [
        _safe(row.order_no),
        _safe(row.external_id or ""),
        gettext(status) if status else row.status.value,
        _safe(row.channel),
        _safe(row.buyer_name or ""),
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
