"""Parsing what console forms and query strings send, leniently: a blank field means "any"."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, ValidationError

from oms.console.formatting import day_bounds
from oms.console.i18n import ACTION_REASONS, REASON_LABELS
from oms.core.errors import ValidationFailed
from oms.core.instants import DateOutOfRange, check_date
from oms.core.money import MAX_AMOUNT
from oms.fulfilment.schemas import OrderShipmentIn
from oms.inventory.schemas import MovementIn
from oms.inventory.states import MANUAL_KINDS, MovementKind
from oms.orders.queries import SORTS, OrderFilter
from oms.orders.schemas import OrderEventIn
from oms.orders.states import OrderEvent, OrderStatus
from oms.refunds.errors import ExceedsRefundableUnits, RefundScopeAmbiguous
from oms.refunds.schemas import RefundIn, RefundLineIn, RefundReason
from oms.tickets.schemas import ResolveIn
from oms.tickets.states import TicketKind, TicketStatus

__all__ = [
    "BULK_EVENTS",
    "CONSOLE_SOURCE",
    "MAX_BULK",
    "MAX_REFUND_LINES",
    "MAX_SKUS",
    "REASONED_EVENTS",
    "OrderListQuery",
    "RefundForm",
    "RefundableLine",
    "TicketFilter",
    "bulk_ids",
    "event_command",
    "movement_command",
    "order_filter",
    "reason_parts",
    "refund_form",
    "required_text",
    "resolve_command",
    "ship_command",
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
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"not a date: {text!r}", field=field) from None
    try:
        # Refused, not clamped: the person sees the accepted range instead of a silent change.
        return check_date(day)
    except ValueError as error:
        raise DateOutOfRange(f"{field}: {error}", field=field) from None


# The age quick filter's bounds: an hour to a year.
MAX_UNSHIPPED_HOURS = 24 * 366


_Text = Annotated[str | None, Field(max_length=64)]


class OrderListQuery(BaseModel):
    """The orders list's filters as its query string carries them: validated once here, kept on
    the tab, sort and paging links, and read by ``order_filter``."""

    status: list[str] = Field(default_factory=list, max_length=20)
    channel: _Text = None
    created_from: _Text = None
    created_to: _Text = None
    paid_after: _Text = None
    paid_before: _Text = None
    unshipped_hours: _Text = None
    q: _Text = None
    sort: _Text = None


def order_filter(
    *,
    status: Sequence[str] | str | None,
    channel: str | None,
    created_from: str | None,
    created_to: str | None,
    q: str | None,
    cursor: str | None,
    timezone: str,
    paid_after: str | None = None,
    paid_before: str | None = None,
    unshipped_hours: str | None = None,
    sort: str | None = None,
) -> OrderFilter:
    """The orders page's filters. Created dates are whole days in the tenant's zone; payment
    bounds are dates (00:00) or times (``2026-01-24T13:00``) in that zone, ``paid_after``
    inclusive and ``paid_before`` exclusive. Several statuses may be chosen; unknown ones
    are ignored, as a blank field is.

    Raises: ERR_VALIDATION (a date or time that does not parse, an age that is not 1..8784
    hours, an unknown sort), ERR_DATE_OUT_OF_RANGE (outside 1970-01-02..2999-12-30).
    """
    start, end = day_bounds(
        _date(created_from, "created_from"), _date(created_to, "created_to"), timezone
    )
    chosen = [status] if isinstance(status, str) else list(status or [])
    known = {s.value for s in OrderStatus}
    statuses = [OrderStatus(s) for s in dict.fromkeys(chosen) if s in known]
    return OrderFilter(
        statuses=statuses,
        channel=(channel or "").strip() or None,
        created_from=start,
        created_to=end,
        q=(q or "").strip()[:64] or None,
        limit=PAGE_SIZE,
        cursor=cursor or None,
        paid_from=_instant(paid_after, "paid_after", timezone),
        paid_to=_instant(paid_before, "paid_before", timezone),
        unshipped_hours=_hours(unshipped_hours),
        wide_search=True,
        sort=_sort(sort),
    )


def _instant(text: str | None, field: str, timezone: str) -> datetime | None:
    """A local date (its 00:00) or local time in ``timezone``, as an aware instant."""
    text = (text or "").strip()
    if not text:
        return None
    if len(text) == 10:
        day = _date(text, field)
        assert day is not None
        return datetime.combine(day, time.min, ZoneInfo(timezone))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"not a date or time: {text!r}", field=field) from None
    _date(moment.date().isoformat(), field)  # the same accepted range as dates
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment


def _hours(text: str | None) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= MAX_UNSHIPPED_HOURS:
        raise ValidationFailed(
            f"unshipped_hours must be 1..{MAX_UNSHIPPED_HOURS}", field="unshipped_hours"
        )
    return int(text)


def _sort(text: str | None) -> str:
    sort = (text or "").strip() or "-created_at"
    if sort.removeprefix("-") not in SORTS:
        raise ValidationFailed(f"cannot sort by {sort!r}", field="sort", allowed=sorted(SORTS))
    return sort


def export_filter(flt: OrderFilter, ids: Sequence[str]) -> OrderFilter:
    """The list's filter for an export: every page, or only the rows ticked (``ids``)."""
    return replace(flt, cursor=None, ids=tuple(bulk_ids(ids)) if ids else ())


# Events that change an order for good or stop it: the console asks why, then to confirm.
REASONED_EVENTS = frozenset({OrderEvent.CANCEL, OrderEvent.HOLD, OrderEvent.CLOSE})
# What the orders list can do to the rows ticked.
BULK_EVENTS = frozenset({OrderEvent.HOLD, OrderEvent.RELEASE})
MAX_BULK = 100
MAX_REASON_TEXT = 500


def event_command(
    event: str, expected_version: int | None, *, reason_code: str = "", reason_text: str = ""
) -> OrderEventIn:
    """An event posted from an order's page or the orders list, with its reason.

    Cancel, hold and close need a reason code (one the page offered for that event); the
    free text is optional. The reason is stored as ``code`` or ``code: text``.
    Raises: ERR_VALIDATION (unknown or system event, missing or unknown reason).
    """
    if event not in {e.value for e in OrderEvent} or event == OrderEvent.PAYMENT_TIMEOUT:
        raise ValidationFailed(f"not an event a person can send: {event!r}", field="event")
    chosen = OrderEvent(event)
    return OrderEventIn(
        event=chosen,
        expected_version=expected_version,
        source=CONSOLE_SOURCE,
        reason=_reason(chosen, reason_code.strip(), reason_text.strip()),
    )


def _reason(event: OrderEvent, code: str, text: str) -> str | None:
    offered = ACTION_REASONS.get(event.value, {})
    if code and code not in offered:
        raise ValidationFailed(f"not a reason for {event}: {code!r}", field="reason_code")
    if event in REASONED_EVENTS and not code:
        raise ValidationFailed(f"{event} needs a reason", field="reason_code")
    if not code:
        return text[:MAX_REASON_TEXT] or None
    return f"{code}: {text[:MAX_REASON_TEXT]}" if text else code


def reason_parts(reason: str | None) -> tuple[str | None, str]:
    """A stored reason as (code when it starts with a known one, the rest)."""
    if not reason:
        return None, ""
    code, _, text = reason.partition(": ")
    if code in REASON_LABELS:
        return code, text
    return None, reason


def bulk_ids(ids: Sequence[str]) -> list[str]:
    """The order ids ticked on the list, each once. Raises: ERR_VALIDATION (none, too many)."""
    chosen = list(dict.fromkeys(i.strip()[:36] for i in ids if i.strip()))
    if not chosen:
        raise ValidationFailed("tick at least one order", field="order_id")
    if len(chosen) > MAX_BULK:
        raise ValidationFailed(f"at most {MAX_BULK} orders at a time", field="order_id")
    return chosen


# As many lines as RefundIn takes.
MAX_REFUND_LINES = 500


@dataclass(frozen=True, slots=True)
class RefundableLine:
    """One SKU of the order as the refund form offers it: ``left`` units may still be asked."""

    sku: str
    name: str
    unit_price: int  # fen, the price of the SKU's first line (what the refunds service uses)
    ordered: int
    left: int


@dataclass(frozen=True, slots=True)
class RefundPart:
    """A SKU and the units of it the form asks back, priced for the confirmation step."""

    line: RefundableLine
    qty: int

    @property
    def amount(self) -> int:
        return self.qty * self.line.unit_price


@dataclass(frozen=True, slots=True)
class RefundForm:
    """The order page's refund request as typed (kept to fill the confirmation step): the
    whole order (no amount, no units), some units of some lines, or an amount."""

    amount_text: str
    amount: int | None  # fen typed; None: lines or the whole order
    reason: RefundReason
    note: str
    parts: tuple[RefundPart, ...] = ()

    @property
    def whole_order(self) -> bool:
        return self.amount is None and not self.parts

    @property
    def lines_amount(self) -> int:
        """What the chosen units come to (fen); the service prices them the same way."""
        return sum(p.amount for p in self.parts)

    def command(self, order_id: str, request_id: str | None) -> RefundIn:
        """The request; ``request_id`` (drawn at the confirmation step) makes a second click
        on confirm answer with the same refund instead of a second one."""
        lines = [RefundLineIn(sku=p.line.sku, qty=p.qty) for p in self.parts] or None
        return RefundIn(
            order_id=order_id,
            request_id=request_id or None,
            whole_order=self.whole_order,
            lines=lines,
            amount=self.amount,
            reason=self.reason,
            customer_note=self.note or None,
        )


def refund_form(
    *,
    amount: str,
    reason: str,
    note: str,
    skus: Sequence[str] = (),
    qtys: Sequence[str] = (),
    refundable: Sequence[RefundableLine] = (),
) -> RefundForm:
    """Parse the refund request form: units per line (0 or blank: none), or yuan with at most
    two decimals; neither is the whole order.

    Raises: ERR_VALIDATION (an amount that is not a positive yuan figure, a quantity that is
    not a whole number, an unknown reason or SKU), ERR_REFUND_SCOPE_AMBIGUOUS (units and an
    amount), ERR_REFUND_UNITS_EXCEED_REFUNDABLE (more units than are left to refund).
    """
    if reason not in {r.value for r in RefundReason}:
        raise ValidationFailed(f"not a refund reason: {reason!r}", field="reason")
    text = amount.strip().replace("¥", "").replace(",", "")
    parts = _refund_parts(skus, qtys, refundable)
    if parts and text:
        raise RefundScopeAmbiguous("give lines or an amount, not both")
    fen = _fen(text) if text else None
    return RefundForm(text, fen, RefundReason(reason), note.strip()[:2000], parts)


def _refund_parts(
    skus: Sequence[str], qtys: Sequence[str], refundable: Sequence[RefundableLine]
) -> tuple[RefundPart, ...]:
    if len(skus) != len(qtys):
        raise ValidationFailed("every line needs its quantity", field="qty")
    offered = {line.sku: line for line in refundable}
    asked: dict[str, int] = {}
    for sku, qty in zip(skus, qtys, strict=True):
        units = _units(qty)
        if units and sku not in offered:
            raise ValidationFailed(f"not a line of the order: {sku!r}", field="sku")
        if units:
            asked[sku] = asked.get(sku, 0) + units
    over = sorted(sku for sku, units in asked.items() if units > offered[sku].left)
    if over:
        raise ExceedsRefundableUnits("more units than are left to refund", skus=over)
    return tuple(RefundPart(offered[sku], units) for sku, units in asked.items())


def _units(text: str) -> int:
    """A quantity box: blank is 0; otherwise a whole number of units, 0 or more."""
    cleaned = text.strip()
    if not cleaned:
        return 0
    if not cleaned.isascii() or not cleaned.isdigit() or len(cleaned) > 6:
        raise ValidationFailed(f"not a quantity: {text!r}", field="qty")
    return int(cleaned)


_YUAN = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,2})?$")


def _fen(yuan: str) -> int:
    """``12.5`` → 1250: digits with at most two decimals (no signs, exponents or NaN)."""
    fen = Decimal(yuan) * 100 if _YUAN.match(yuan) else Decimal(0)
    if not 1 <= fen <= MAX_AMOUNT:
        raise ValidationFailed(f"not a refundable amount: {yuan!r}", field="amount")
    return int(fen)


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


def ship_command(
    *, carrier: str, tracking_no: str, skus: Sequence[str], qtys: Sequence[str]
) -> OrderShipmentIn:
    """The order page's ship form: a carrier, a tracking number, and units per line (blank or
    0: not in this parcel). Raises: ERR_VALIDATION (no line, a bad number or tracking number).
    """
    lines = []
    for sku, qty in zip(skus, qtys, strict=False):
        units = qty.strip()
        if units and units != "0":
            if not units.isdigit():
                raise ValidationFailed(f"not a quantity: {qty!r}", field="qty")
            lines.append({"sku": sku, "qty": int(units)})
    if not lines:
        raise ValidationFailed("choose the units this parcel holds", field="qty")
    try:
        body = {"carrier": carrier.strip(), "tracking_no": tracking_no.strip(), "lines": lines}
        return OrderShipmentIn.model_validate(body)
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
