"""What the system writes on tickets, as codes with parameters.

A ticket the system opens stores ``title_code`` + ``title_params``, and a comment it writes
stores ``code`` + ``params``; the console renders them in the reader's language from its
catalogues (``labels.toml`` tables ``ticket_title`` and ``ticket_comment`` carry the same
English templates, a unit test keeps the two equal). The English rendering is also stored in
``title`` / ``body``, so the API, alerts and old clients keep a readable text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["COMMENTS", "TITLES", "comment_text", "title_text"]

#: Ticket titles: code → English template (``%(name)s`` parameters).
TITLES: dict[str, str] = {
    "stock_shortage": "Order %(order_no)s is short of stock, waiting for it",
    "status_conflict": "Order %(order_no)s: a late %(event)s conflicts with its status",
    "refund_mismatch": "Refund notice does not match for order %(order_no)s",
    "fulfilment_unplanned": "No carrier can ship order %(order_no)s",
    "fulfilment_mismatch": "Shipment does not match order %(order_no)s",
    "delivery_stalled": "Parcel %(carrier)s %(tracking_no)s stalled: no scan for %(hours)s h",
    "delivery_exception": "Delivery exception: %(carrier)s %(tracking_no)s",
    "delivery_returned": "Parcel returning: %(carrier)s %(tracking_no)s",
    "accounting_receipt_rejected": "%(sink)s rejected the sales receipt of order %(order_no)s",
    "accounting_refund_rejected": "%(sink)s rejected the refund note of order %(order_no)s",
    "payment_orphaned": "Payment for order %(order_no)s must go back",
    "payment_mismatch": "Payment for order %(order_no)s does not reconcile",
}

#: System comments: code → English template.
COMMENTS: dict[str, str] = {
    "assigned": "Assigned to %(assignee)s",
    "resolved": "Resolved: %(resolution)s",
    "status_conflict_refused": (
        "%(event)s from %(source)s (occurred %(occurred_at)s) refused: %(later_event)s from "
        "%(later_source)s (occurred %(later_occurred_at)s) already made the order %(status)s"
    ),
    "stock_not_awaited": "Resolved: order %(event)s, no stock is awaited any more",
    "stock_arrived": "Resolved: stock arrived, every line is reserved",
    "scans_resumed": "Resolved: scans resumed (%(carrier)s %(tracking_no)s)",
}


def title_text(code: str, params: Mapping[str, Any]) -> str:
    """The English title of ``code`` (stored in ``title`` and sent in alerts)."""
    return _filled(TITLES, code, params)[:300]


def comment_text(code: str, params: Mapping[str, Any]) -> str:
    """The English body of a system comment."""
    return _filled(COMMENTS, code, params)


def _filled(templates: Mapping[str, str], code: str, params: Mapping[str, Any]) -> str:
    # A code missing here is a programming error: fail the command rather than store nonsense.
    return templates[code] % {name: str(value) for name, value in params.items()}
