"""Order statuses, events and the transition table: the only place status rules live.

``decide`` turns one attempt into an outcome (applied, duplicate, stale or rejected) from the
order's current status, version and applied history; ``MACHINE`` (the table on a
``core.states.Machine``) is the only code that assigns a status: the service plans the row
with ``MACHINE.changes`` for its compare-and-set UPDATE and moves its copy with
``MACHINE.transition``. Both are pure: the service writes what they decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from oms.core.audit import Outcome
from oms.core.errors import AppError
from oms.core.states import IllegalMove, Machine
from oms.orders.errors import IllegalTransition, NotDue, StaleEvent, VersionMismatch

__all__ = [
    "EVENT_PERMISSION",
    "MACHINE",
    "SYSTEM_EVENTS",
    "TRANSITIONS",
    "AppliedEvent",
    "Decision",
    "OrderEvent",
    "OrderStatus",
    "allowed_events",
    "can_apply",
    "decide",
    "last_status_change",
    "next_status",
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

# Events only the system itself may send, whatever the caller's role.
SYSTEM_EVENTS: frozenset[OrderEvent] = frozenset({E.PAYMENT_TIMEOUT})


def _machine_error(move: IllegalMove) -> IllegalTransition:
    if move.event is not None:
        return _illegal(OrderEvent(move.event), OrderStatus(move.current))
    return IllegalTransition(
        f"an order that is {move.current} cannot become {move.to}",
        current_status=move.current,
        to=move.to,
        allowed_events=[str(e) for e in allowed_events(OrderStatus(move.current))],
    )


# The order lifecycle on the shared machine: the status table is the event table flattened,
# and each arrival stamps its column the first time only (``shipped_at`` stays the first
# parcel's time when the last one ships).
MACHINE: Machine[OrderStatus] = Machine(
    name="order",
    status=OrderStatus,
    table={
        status: frozenset(moves[status] for moves in TRANSITIONS.values() if status in moves)
        for status in OrderStatus
    },
    error=_machine_error,
    stamps={
        S.PAID: ("paid_at",),
        S.CANCELLED: ("cancelled_at",),
        S.PARTIALLY_SHIPPED: ("shipped_at",),
        S.SHIPPED: ("shipped_at",),
        S.DELIVERED: ("delivered_at",),
        S.COMPLETED: ("completed_at",),
        S.CLOSED: ("closed_at",),
    },
    stamp_once=frozenset(
        {"paid_at", "cancelled_at", "shipped_at", "delivered_at", "completed_at", "closed_at"}
    ),
    event_table={str(event): moves for event, moves in TRANSITIONS.items()},
)


@dataclass(frozen=True, slots=True)
class AppliedEvent:
    """An event already applied to the order, as the audit log remembers it.

    ``version_after`` orders the changes; the create entry (version 1) set the first status
    but changed none, so it never makes a later event stale.
    """

    event: str
    source: str | None
    occurred_at: datetime | None
    version_after: int | None = None
    entry_id: str | None = None

    @property
    def changed_status(self) -> bool:
        return self.event != "create"


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one attempt."""

    outcome: str
    to_status: OrderStatus | None = None
    error: AppError | None = None


def next_status(event: OrderEvent, current: OrderStatus) -> OrderStatus | None:
    """The status ``event`` leads to from ``current``, or None when it is illegal."""
    return MACHINE.target(current, event)


def can_apply(event: OrderEvent, current: OrderStatus) -> bool:
    """True when the table allows ``event`` from ``current``."""
    return next_status(event, current) is not None


def allowed_events(current: OrderStatus) -> list[OrderEvent]:
    """Events the table allows from ``current``, in declaration order."""
    return [OrderEvent(event) for event in MACHINE.events_from(current)]


def decide(
    *,
    event: OrderEvent,
    status: OrderStatus,
    version: int,
    expected_version: int | None,
    source: str,
    occurred_at: datetime | None,
    history: Sequence[AppliedEvent],
    now: datetime | None = None,
    payment_due_at: datetime | None = None,
) -> Decision:
    """Classify an attempt. Checked in order: duplicate, stale, illegal, conflict, not due,
    version, apply.

    A duplicate is an event the table no longer allows whose effect is already in place: it
    was applied before (a redelivered callback), or the order already sits where the event
    leads (cancel on a cancelled order). A stale event is older than the last event applied
    from the same source: the source itself has moved on, so it is answered and ignored. A
    conflict is a legal event older than the last status change from any other source: it
    would move the order backward, so it is refused for a person to decide. An event without
    ``occurred_at`` happens now and is never stale nor in conflict. Legality comes before the
    version check, so a client whose event can never apply learns why, not merely that its
    copy is old.
    """
    if not can_apply(event, status) and _already_in_effect(event, status, history):
        return Decision(Outcome.DUPLICATE)
    if occurred_at is not None and _is_stale(source, occurred_at, history):
        return Decision(Outcome.STALE)
    to_status = next_status(event, status)
    if to_status is None:
        return Decision(Outcome.REJECTED, error=_illegal(event, status))
    later = _later_change(occurred_at, history)
    if later is not None:
        assert occurred_at is not None
        return Decision(Outcome.CONFLICT, error=_conflict(event, status, occurred_at, later))
    if event == E.PAYMENT_TIMEOUT and _not_due(now, payment_due_at):
        assert payment_due_at is not None
        return Decision(
            Outcome.REJECTED,
            error=NotDue(
                "the payment deadline has not passed",
                payment_due_at=payment_due_at.isoformat(),
            ),
        )
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


def last_status_change(history: Sequence[AppliedEvent]) -> AppliedEvent | None:
    """The applied event that set the current status (the highest version), if any."""
    changes = [h for h in history if h.changed_status]
    return max(changes, key=lambda h: h.version_after or 0, default=None)


def _later_change(
    occurred_at: datetime | None, history: Sequence[AppliedEvent]
) -> AppliedEvent | None:
    """The last status change, when it happened after ``occurred_at``."""
    if occurred_at is None:
        return None
    last = last_status_change(history)
    if last is None or last.occurred_at is None or occurred_at >= last.occurred_at:
        return None
    return last


def _not_due(now: datetime | None, payment_due_at: datetime | None) -> bool:
    return now is not None and payment_due_at is not None and now < payment_due_at


def _conflict(
    event: OrderEvent, status: OrderStatus, occurred_at: datetime, later: AppliedEvent
) -> StaleEvent:
    assert later.occurred_at is not None
    return StaleEvent(
        f"{event} at {occurred_at.isoformat()} is older than {later.event} from "
        f"{later.source} at {later.occurred_at.isoformat()}, which made the order {status}",
        event=str(event),
        occurred_at=occurred_at.isoformat(),
        current_status=str(status),
        later_event=later.event,
        later_source=later.source,
        later_occurred_at=later.occurred_at.isoformat(),
        later_entry_id=later.entry_id,
    )


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
