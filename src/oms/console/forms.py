"""Parsing what console forms and query strings send, leniently: a blank field means "any"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from pydantic import ValidationError

from oms.console.formatting import day_bounds
from oms.core.errors import ValidationFailed
from oms.inventory.schemas import MovementIn
from oms.inventory.states import MANUAL_KINDS, MovementKind
from oms.orders.queries import OrderFilter
from oms.orders.schemas import OrderEventIn
from oms.orders.states import OrderEvent, OrderStatus
from oms.tickets.schemas import ResolveIn
from oms.tickets.states import TicketKind, TicketStatus

__all__ = [
    "CONSOLE_SOURCE",
    "MAX_SKUS",
    "TicketFilter",
    "event_command",
    "movement_command",
    "order_filter",
    "required_text",
    "resolve_command",
    "sku_list",
    "ticket_filter",
]

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


# Stock and tickets.

MAX_SKUS = 50
# Commas and semicolons, ASCII or full-width (as Chinese input methods type them), and spaces.
_SKU_SEPARATORS = re.compile(r"[\s,;\uff0c\u3001\uff1b]+")


@dataclass(frozen=True, slots=True)
class TicketFilter:
    """The queue's filters; no statuses means every status."""

    statuses: tuple[TicketStatus, ...]
    kind: TicketKind | None
    order_id: str | None


def sku_list(text: str | None) -> list[str]:
    """Exact SKUs typed into the search box, split on commas or spaces, each once, in order."""
    skus = [s for s in _SKU_SEPARATORS.split((text or "").strip()) if s]
    return list(dict.fromkeys(s[:64] for s in skus))[:MAX_SKUS]


def required_text(value: str, *, field: str) -> str:
    """A text field that must say something. Raises: ERR_VALIDATION (blank)."""
    if not value.strip():
        raise ValidationFailed(f"{field} is required", field=field)
    return value.strip()


def _qty(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValidationFailed(f"not a whole number: {text!r}", field="qty") from None


def _kind(text: str) -> MovementKind:
    if text not in {k.value for k in MANUAL_KINDS}:
        raise ValidationFailed(f"not a movement a person can post: {text!r}", field="kind")
    return MovementKind(text)


def _expected_version(versions: list[str], warehouse: str | None) -> int | None:
    """The version of the chosen warehouse's row as the page showed it (``"main:3"``)."""
    for pair in versions:
        code, _, version = pair.rpartition(":")
        if code == warehouse and version.isdigit():
            return int(version)
    return None


def movement_command(
    *, sku: str, warehouse: str, kind: str, qty: str, reason: str, versions: list[str]
) -> MovementIn:
    """A movement posted from the stock page, compare-and-set on the row the page showed.

    Raises: ERR_VALIDATION (kind, quantity, SKU or reason not acceptable).
    """
    code = warehouse.strip() or None
    try:
        return MovementIn(
            sku=sku,
            warehouse=code,
            kind=_kind(kind),
            qty=_qty(qty),
            reason=reason.strip() or None,
            expected_version=_expected_version(versions, code),
        )
    except ValidationError as exc:
        raise ValidationFailed(str(exc.errors()[0]["msg"])) from None


def resolve_command(*, resolution: str, sku: str, warehouse: str, kind: str, qty: str) -> ResolveIn:
    """A resolution with at most one stock correction (when a quantity is given).

    Raises: ERR_VALIDATION (blank resolution, or a correction that is not acceptable).
    """
    text = required_text(resolution, field="resolution")
    if not qty.strip():
        return ResolveIn(resolution=text)
    correction = movement_command(
        sku=required_text(sku, field="sku"),
        warehouse=warehouse,
        kind=kind,
        qty=qty,
        reason=text,
        versions=[],
    )
    return ResolveIn(resolution=text, corrections=[correction])


def ticket_filter(*, status: str | None, kind: str | None, order_id: str | None) -> TicketFilter:
    """The queue's filters: unresolved tickets unless a status (or ``all``) is chosen."""
    statuses: tuple[TicketStatus, ...] = (TicketStatus.OPEN, TicketStatus.ASSIGNED)
    if status in {s.value for s in TicketStatus}:
        statuses = (TicketStatus(status),)
    elif status == "all":
        statuses = ()
    return TicketFilter(
        statuses=statuses,
        kind=TicketKind(kind) if kind in {k.value for k in TicketKind} else None,
        order_id=(order_id or "").strip()[:36] or None,
    )
