"""Parsing what console forms and query strings send, leniently: a blank field means "any"."""

from __future__ import annotations

from datetime import date

from oms.console.formatting import day_bounds
from oms.core.errors import ValidationFailed
from oms.orders.queries import OrderFilter
from oms.orders.schemas import OrderEventIn
from oms.orders.states import OrderEvent, OrderStatus

__all__ = ["CONSOLE_SOURCE", "event_command", "order_filter"]

# The source recorded on the timeline for events applied from the console.
CONSOLE_SOURCE = "console"
PAGE_SIZE = 25


def _date(text: str | None, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"not a date: {text!r}", field=field) from None


def order_filter(
    *,
    status: str | None,
    channel: str | None,
    created_from: str | None,
    created_to: str | None,
    q: str | None,
    cursor: str | None,
    timezone: str,
) -> OrderFilter:
    """The orders page's filters; dates are whole days in the tenant's zone.

    Raises: ERR_VALIDATION (a date that is not YYYY-MM-DD).
    """
    start, end = day_bounds(
        _date(created_from, "created_from"), _date(created_to, "created_to"), timezone
    )
    statuses = [OrderStatus(status)] if status in {s.value for s in OrderStatus} else []
    return OrderFilter(
        statuses=statuses,
        channel=(channel or "").strip() or None,
        created_from=start,
        created_to=end,
        q=(q or "").strip()[:64] or None,
        limit=PAGE_SIZE,
        cursor=cursor or None,
    )


def event_command(event: str, expected_version: int | None) -> OrderEventIn:
    """An event posted from an order's page. Raises: ERR_VALIDATION (unknown or system event)."""
    if event not in {e.value for e in OrderEvent} or event == OrderEvent.PAYMENT_TIMEOUT:
        raise ValidationFailed(f"not an event a person can send: {event!r}", field="event")
    return OrderEventIn(
        event=OrderEvent(event), expected_version=expected_version, source=CONSOLE_SOURCE
    )
