"""Order statuses, events and the transition table: the only place status rules live.

``decide`` turns one attempt into an outcome (applied, duplicate, stale or rejected) from the
order's current status, version and applied history; ``transition`` is the only code that
assigns a status. Both are pure: the service writes what they decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from oms.core.audit import Outcome
from oms.core.errors import AppError
from oms.orders.errors import IllegalTransition, VersionMismatch

__all__ = [
    "EVENT_PERMISSION",
    "TRANSITIONS",
    "AppliedEvent",
    "Decision",
    "OrderEvent",
    "OrderStatus",
    "allowed_events",
    "can_apply",
    "decide",
    "next_status",
    "timestamp_field",
]


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    ON_HOLD = "on_hold"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    CLOSED = "closed"


class OrderEvent(StrEnum):
    PAY = "pay"
    CANCEL = "cancel"
    PAYMENT_TIMEOUT = "payment_timeout"
    HOLD = "hold"
    RELEASE = "release"
    PARTIAL_SHIP = "partial_ship"
    SHIP = "ship"
    DELIVER = "deliver"
    COMPLETE = "complete"
    CLOSE = "close"


S = OrderStatus
E = OrderEvent

# event x from-status → to-status. A pair that is absent is illegal.
TRANSITIONS: dict[OrderEvent, dict[OrderStatus, OrderStatus]] = {
    E.PAY: {S.PENDING_PAYMENT: S.PAID},
    E.CANCEL: {S.PENDING_PAYMENT: S.CANCELLED, S.PAID: S.CANCELLED, S.ON_HOLD: S.CANCELLED},
    E.PAYMENT_TIMEOUT: {S.PENDING_PAYMENT: S.CANCELLED},
    E.HOLD: {S.PAID: S.ON_HOLD},
    E.RELEASE: {S.ON_HOLD: S.PAID},
    E.PARTIAL_SHIP: {S.PAID: S.PARTIALLY_SHIPPED},
    E.SHIP: {S.PAID: S.SHIPPED, S.PARTIALLY_SHIPPED: S.SHIPPED},
    E.DELIVER: {S.SHIPPED: S.DELIVERED},
    E.COMPLETE: {S.DELIVERED: S.COMPLETED},
    # Closed means fully refunded (全额退款后关闭); the refunds issue drives it.
    E.CLOSE: {
        S.PAID: S.CLOSED,
        S.ON_HOLD: S.CLOSED,
        S.PARTIALLY_SHIPPED: S.CLOSED,
        S.SHIPPED: S.CLOSED,
        S.DELIVERED: S.CLOSED,
        S.COMPLETED: S.CLOSED,
    },
}

# Which permission (see core.auth.ROLE_PERMISSIONS) an event needs.
EVENT_PERMISSION: dict[OrderEvent, str] = {
    E.PAY: "orders:pay",
    E.PAYMENT_TIMEOUT: "orders:pay",
    E.CANCEL: "orders:service",
    E.HOLD: "orders:service",
    E.RELEASE: "orders:service",
    E.COMPLETE: "orders:service",
    E.PARTIAL_SHIP: "orders:fulfil",
    E.SHIP: "orders:fulfil",
    E.DELIVER: "orders:fulfil",
    E.CLOSE: "orders:close",
}

# The timestamp column an event stamps when it applies (first time only).
_STAMPS: dict[OrderEvent, str] = {
    E.PAY: "paid_at",
    E.CANCEL: "cancelled_at",
    E.PAYMENT_TIMEOUT: "cancelled_at",
    E.PARTIAL_SHIP: "shipped_at",
    E.SHIP: "shipped_at",
    E.DELIVER: "delivered_at",
    E.COMPLETE: "completed_at",
    E.CLOSE: "closed_at",
}


@dataclass(frozen=True, slots=True)
class AppliedEvent:
    """An event already applied to the order, as the audit log remembers it."""

    event: str
    source: str | None
    occurred_at: datetime | None


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one attempt."""

    outcome: str
    to_status: OrderStatus | None = None
    error: AppError | None = None


def next_status(event: OrderEvent, current: OrderStatus) -> OrderStatus | None:
    """The status ``event`` leads to from ``current``, or None when it is illegal."""
    return TRANSITIONS[event].get(current)


def can_apply(event: OrderEvent, current: OrderStatus) -> bool:
    """True when the table allows ``event`` from ``current``."""
    return current in TRANSITIONS[event]


def allowed_events(current: OrderStatus) -> list[OrderEvent]:
    """Events the table allows from ``current``, in declaration order."""
    return [event for event in OrderEvent if can_apply(event, current)]


def timestamp_field(event: OrderEvent) -> str | None:
    """The order column that records when ``event`` first happened."""
    return _STAMPS.get(event)


def decide(
    *,
    event: OrderEvent,
    status: OrderStatus,
    version: int,
    expected_version: int | None,
    source: str,
    occurred_at: datetime,
    history: Sequence[AppliedEvent],
) -> Decision:
    """Classify an attempt. Checked in order: duplicate, stale, illegal, version, apply.

    A duplicate is an event the table no longer allows whose effect is already in place: it
    was applied before (a redelivered callback), or the order already sits where the event
    leads (cancel on a cancelled order). A stale event is older than the last event applied
    from the same source. Legality comes before the version check, so a client whose event can
    never apply learns why, not merely that its copy is old.
    """
    if not can_apply(event, status) and _already_in_effect(event, status, history):
        return Decision(Outcome.DUPLICATE)
    if _is_stale(source, occurred_at, history):
        return Decision(Outcome.STALE)
    to_status = next_status(event, status)
    if to_status is None:
        return Decision(Outcome.REJECTED, error=_illegal(event, status))
    if expected_version is not None and expected_version != version:
        return Decision(
            Outcome.REJECTED,
            error=VersionMismatch(
                f"the order is at version {version}, not {expected_version}",
                current_version=version,
                expected_version=expected_version,
                current_status=str(status),
            ),
        )
    return Decision(Outcome.APPLIED, to_status=to_status)


def _already_in_effect(
    event: OrderEvent, status: OrderStatus, history: Sequence[AppliedEvent]
) -> bool:
    if status in TRANSITIONS[event].values():
        return True
    return any(applied.event == event for applied in history)


def _is_stale(source: str, occurred_at: datetime, history: Sequence[AppliedEvent]) -> bool:
    times = [h.occurred_at for h in history if h.source == source and h.occurred_at is not None]
    return bool(times) and occurred_at < max(times)


def _illegal(event: OrderEvent, status: OrderStatus) -> IllegalTransition:
    return IllegalTransition(
        f"cannot {event} an order that is {status}",
        event=str(event),
        current_status=str(status),
        allowed_events=[str(e) for e in allowed_events(status)],
    )
