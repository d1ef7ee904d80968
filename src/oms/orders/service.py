"""Order use cases: place an order, apply an event, make a payment timeout durable.

Each public function is one command: one unit of work, one commit. Every attempt to change
an order leaves an audit entry, including attempts that are refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from oms.config import get_settings
from oms.core import audit, outbox
from oms.core.audit import Attempt, Outcome
from oms.core.auth import ROLE_PERMISSIONS
from oms.core.batch import Applied, ItemResult, run_each
from oms.core.context import Actor
from oms.core.errors import AppError, Forbidden
from oms.core.models import AuditEntry
from oms.core.repo import retry_on_race, update_versioned
from oms.core.uow import Database, UnitOfWork
from oms.inventory import reservations
from oms.orders import amounts, events, placement, states
from oms.orders import shortage as short_lines
from oms.orders.errors import (
    FulfilmentBlocked,
    OrderNotFound,
    ShortLinesCannotShip,
    VersionMismatch,
)
from oms.orders.models import Order, OrderLine
from oms.orders.queries import order_out
from oms.orders.schemas import EventResult, OrderCreate, OrderEventIn, OrderOut
from oms.orders.states import AppliedEvent, OrderEvent, OrderStatus
from oms.tickets.service import add_note, open_ticket, open_ticket_ids
from oms.tickets.states import TicketKind

__all__ = [
    "FulfilmentView",
    "PlacedOrder",
    "RefundView",
    "apply_event",
    "apply_event_in",
    "apply_payment_timeout",
    "fulfilment_view",
    "place_order",
    "place_orders",
    "refund_view",
]

_AGGREGATE = "order"
_TIMEOUT_SOURCE = "system:payment-timeout"
STOCK_SHORTAGE = short_lines.STOCK_SHORTAGE
_SHIPPING_EVENTS = frozenset({OrderEvent.SHIP, OrderEvent.PARTIAL_SHIP})
_RELEASING_EVENTS = frozenset({OrderEvent.CANCEL, OrderEvent.PAYMENT_TIMEOUT, OrderEvent.CLOSE})


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    order: OrderOut
    created: bool


class _LostRace(Exception):
    """The compare-and-set update found another version: someone else wrote first."""

    def __init__(self, attempt: Attempt) -> None:
        self.attempt = attempt


def place_order(db: Database, actor: Actor, data: OrderCreate) -> PlacedOrder:
    """Create an order, or return the existing one with the same channel and external id.

    All or nothing on stock, unless ``data.allow_shortage``: then the order is recorded
    whatever the stock, its short lines wait (see ``shortage``) and a ticket opens.
    Raises: ERR_ORDER_INVALID_AMOUNTS, ERR_STOCK_INSUFFICIENT.
    """
    subtotal = amounts.checked_subtotal(data)
    # Retried whole: a concurrent request created the same external id (the retry finds it),
    # two orders drew the same order number in the same millisecond (the retry redraws), or
    # PostgreSQL broke a deadlock between stock-row lockers of a hot SKU by rolling us back.
    return retry_on_race(lambda: _place_order_once(db, actor, data, subtotal))


def place_orders(db: Database, actor: Actor, items: Sequence[Any]) -> list[ItemResult]:
    """Place each item of a batch exactly as ``place_order`` places one order: each in its own
    transaction, deduplicated on (channel, external id); a failed item blocks no other.

    Answers per item, in order: 201 and the id of a new order, 200 and the existing one's, or
    the status and code of the error (ERR_VALIDATION for an item that is not an order).
    """

    def place(data: OrderCreate) -> Applied:
        placed = place_order(db, actor, data)
        return Applied(201 if placed.created else 200, placed.order.id)

    return run_each(items, OrderCreate, place)


def _place_order_once(db: Database, actor: Actor, data: OrderCreate, subtotal: int) -> PlacedOrder:
    with db.uow() as uow:
        now = uow.clock.now()
        if data.external_id is not None:
            existing = placement.find_external(uow, actor.tenant_id, data.channel, data.external_id)
            if existing is not None:
                _record(
                    uow, actor, placement.create_attempt(existing, Outcome.DUPLICATE, data), now
                )
                uow.commit()
                return PlacedOrder(order_out(uow.session, existing, now=now), created=False)
        tenant = placement.tenant_settings(uow, actor.tenant_id)
        order = placement.insert_order(uow, tenant, data, subtotal=subtotal, now=now)
        _record(uow, actor, placement.create_attempt(order, Outcome.APPLIED, data), now)
        placement.publish_created(uow, order, now)
        # Stock last: its row locks are then held only for the reservation and the commit.
        short = reservations.reserve_for_order(
            uow,
            actor,
            order.id,
            [(line.sku, line.qty) for line in data.lines],
            warehouse=data.warehouse,
            ttl=timedelta(seconds=get_settings().reservation_ttl_seconds),
            now=now,
            allow_shortage=data.allow_shortage,
        )
        per_line: dict[int, int] = {}
        if short:
            needs = [
                short_lines.LineNeed(no, line.sku, line.qty)
                for no, line in enumerate(data.lines, start=1)
            ]
            per_line = short_lines.mark_placed_short(uow, actor, order, needs, short, now)
        uow.commit()
        lines = placement.lines_out(data, per_line)
        return PlacedOrder(order_out(uow.session, order, now=now, lines=lines), created=True)


def apply_event(db: Database, actor: Actor, order_id: str, command: OrderEventIn) -> EventResult:
    """Apply one lifecycle event with compare-and-set on the order's version.

    Duplicates and stale events answer normally and change nothing; refused attempts are
    recorded and raised. An event older than a later status change from another source is a
    conflict: recorded, put on the order's status-conflict ticket, and raised.
    Raises: ERR_ORDER_NOT_FOUND, ERR_AUTH_FORBIDDEN, ERR_ORDER_ILLEGAL_TRANSITION,
    ERR_ORDER_STALE_EVENT, ERR_ORDER_NOT_DUE, ERR_ORDER_VERSION_MISMATCH,
    ERR_ORDER_FULFILMENT_BLOCKED.
    """
    try:
        with db.uow() as uow:
            result, error = apply_event_in(uow, actor, order_id, command)
            uow.commit()
    except _LostRace as lost:
        # Rolled back: record the refusal on its own, as the attempt's only trace.
        error = VersionMismatch("another writer changed the order first")
        _record_refusal(db, actor, lost.attempt, error)
        raise error from None
    if error is not None:
        raise error
    return result


def apply_event_in(
    uow: UnitOfWork, actor: Actor, order_id: str, command: OrderEventIn
) -> tuple[EventResult, AppError | None]:
    """Apply an event (or record its refusal) inside the caller's unit of work.

    An operation for other domains' use cases (a shipment and the status it causes commit
    together). Returns the result and, for a refusal, the error the caller should raise after
    committing, so the refusal stays on the timeline.
    """
    now = uow.clock.now()
    order = _lock_order(uow, actor.tenant_id, order_id)
    _materialise_due_timeout(uow, actor.tenant_id, order, now)
    occurred_at = command.occurred_at or now
    attempt = Attempt(
        aggregate_type=_AGGREGATE,
        aggregate_id=order.id,
        event=str(command.event),
        outcome=Outcome.APPLIED,
        from_status=order.status,
        source=command.source,
        reason=command.reason,
        occurred_at=occurred_at,
        details={"expected_version": command.expected_version},
    )
    decision = _decide(uow, actor, order, command, now)
    if decision.outcome == Outcome.CONFLICT:
        decision = _hand_to_a_person(uow, actor, order, command, decision, now)
    if decision.outcome == Outcome.APPLIED:
        shortage = _stock_effect(uow, actor, order, command.event, now)
        _transition(uow, order, command.event, now, shortage=shortage)
        attempt = _with(attempt, to_status=order.status, version_after=order.version)
        if shortage:
            attempt = _with(attempt, details=attempt.details | {"stock_shortage": shortage})
    else:
        attempt = _with(
            attempt,
            outcome=decision.outcome,
            error_code=decision.error.code if decision.error else None,
            version_after=order.version,
        )
        if decision.outcome == Outcome.CONFLICT:
            assert decision.error is not None
            attempt = _with(attempt, details=attempt.details | _conflict_facts(decision.error))
    entry_id = _record(uow, actor, attempt, now)
    result = EventResult(
        outcome=decision.outcome,
        duplicate=decision.outcome == Outcome.DUPLICATE,
        stale=decision.outcome == Outcome.STALE,
        entry_id=entry_id,
        order=order_out(uow.session, order, now=now),
    )
    return result, decision.error


@dataclass(frozen=True, slots=True)
class FulfilmentView:
    """What fulfilment needs of an order: its number, status, lines (SKU, qty) and the
    shipping address's province (the parcel's route, for the ETA)."""

    order_no: str
    status: str
    lines: list[tuple[str, int]]
    province: str | None = None


def fulfilment_view(uow: UnitOfWork, tenant_id: str, order_id: str) -> FulfilmentView:
    """Lock the order and read it for a shipment, in the caller's unit of work.

    Raises: ERR_ORDER_NOT_FOUND.
    """
    order = _lock_order(uow, tenant_id, order_id)
    _materialise_due_timeout(uow, tenant_id, order, uow.clock.now())
    lines = uow.session.execute(
        select(OrderLine.sku, OrderLine.qty).where(
            OrderLine.tenant_id == tenant_id, OrderLine.order_id == order_id
        )
    )
    province = (order.shipping_address or {}).get("province")
    return FulfilmentView(
        order.order_no,
        order.status,
        [(sku, qty) for sku, qty in lines],
        str(province) if province else None,
    )


@dataclass(frozen=True, slots=True)
class RefundView:
    """What refunds need of an order, read under its row lock."""

    order_no: str
    status: str
    channel: str
    currency: str
    total: int
    buyer_id: str | None
    lines: list[tuple[str, int, int]]  # sku, qty, unit price


def refund_view(uow: UnitOfWork, tenant_id: str, order_id: str) -> RefundView:
    """Lock the order (FOR UPDATE on PostgreSQL) and read it for a refund, in the caller's
    unit of work: concurrent refunds of one order queue here. Raises: ERR_ORDER_NOT_FOUND.
    """
    order = _lock_order(uow, tenant_id, order_id)
    _materialise_due_timeout(uow, tenant_id, order, uow.clock.now())
    rows = uow.session.execute(
        select(OrderLine.sku, OrderLine.qty, OrderLine.unit_price).where(
            OrderLine.tenant_id == tenant_id, OrderLine.order_id == order_id
        )
    )
    lines = [(sku, qty, price) for sku, qty, price in rows]
    return RefundView(
        order.order_no,
        order.status,
        order.channel,
        order.currency,
        order.total,
        order.buyer_id,
        lines,
    )


def apply_payment_timeout(db: Database, *, tenant_id: str, order_id: str) -> bool:
    """Cancel an unpaid order whose payment deadline has passed; idempotent.

    Returns True when this call cancelled it. Run by the job scheduled at the deadline.
    Raises: ERR_ORDER_NOT_FOUND.
    """
    with db.uow() as uow:
        now = uow.clock.now()
        order = _lock_order(uow, tenant_id, order_id)
        changed = _materialise_due_timeout(uow, tenant_id, order, now)
        uow.commit()
        return changed


def _decide(
    uow: UnitOfWork, actor: Actor, order: Order, command: OrderEventIn, now: datetime
) -> states.Decision:
    if command.event in states.SYSTEM_EVENTS and actor.role != "system":
        forbidden = Forbidden(f"only the system may send {command.event}", permission="system")
        return states.Decision(Outcome.REJECTED, error=forbidden)
    permission = states.EVENT_PERMISSION[command.event]
    if actor.role != "system" and actor.role not in ROLE_PERMISSIONS[permission]:
        forbidden = Forbidden(f"role {actor.role} may not {command.event}", permission=permission)
        return states.Decision(Outcome.REJECTED, error=forbidden)
    if command.event in _SHIPPING_EVENTS:
        blocking = open_ticket_ids(uow, order.tenant_id, order.id, TicketKind.FULFILMENT_MISMATCH)
        if blocking:
            blocked = FulfilmentBlocked("resolve the fulfilment ticket first", ticket_ids=blocking)
            return states.Decision(Outcome.REJECTED, error=blocked)
        if order.stock_shortage:
            short = ShortLinesCannotShip("short lines wait for stock", order_id=order.id)
            return states.Decision(Outcome.REJECTED, error=short)
    return states.decide(
        event=command.event,
        status=OrderStatus(order.status),
        version=order.version,
        expected_version=command.expected_version,
        source=command.source,
        # None: stamped at receipt (console actions, callers that send no time), never stale.
        occurred_at=command.occurred_at,
        history=_applied_history(uow, order),
        now=now,
        payment_due_at=order.payment_due_at,
    )


def _hand_to_a_person(
    uow: UnitOfWork,
    actor: Actor,
    order: Order,
    command: OrderEventIn,
    decision: states.Decision,
    now: datetime,
) -> states.Decision:
    """Put a conflicting event on the order's one open status-conflict ticket.

    The first conflict opens the ticket; later ones comment on it. The order's row lock
    (held since ``_lock_order``) keeps two conflicts from opening two tickets.
    """
    assert decision.error is not None
    details = decision.error.details
    note = {
        "event": str(command.event),
        "source": command.source,
        "occurred_at": details["occurred_at"],
        "later_event": details["later_event"],
        "later_source": details["later_source"],
        "later_occurred_at": details["later_occurred_at"],
        "status": order.status,
    }
    existing = open_ticket_ids(uow, order.tenant_id, order.id, TicketKind.STATUS_CONFLICT)
    ticket_id = (
        existing[0]
        if existing
        else open_ticket(
            uow,
            tenant_id=order.tenant_id,
            kind=TicketKind.STATUS_CONFLICT,
            order_id=order.id,
            assignee_role="ops",
            title_code="status_conflict",
            title_params={"order_no": order.order_no, "event": str(command.event)},
            details={"order_no": order.order_no, "status": order.status, **details},
            now=now,
        )
    )
    add_note(uow, actor, ticket_id, "status_conflict_refused", note)
    decision.error.details["ticket_id"] = ticket_id
    return decision


def _conflict_facts(error: AppError) -> dict[str, Any]:
    """What the timeline shows of a conflict: the later change it lost to, and the ticket."""
    keys = ("later_event", "later_source", "later_occurred_at", "later_entry_id", "ticket_id")
    return {key: error.details.get(key) for key in keys}


def _materialise_due_timeout(uow: UnitOfWork, tenant_id: str, order: Order, now: datetime) -> bool:
    """Apply the payment timeout if it is due, so every write sees what reads already show."""
    due = order.payment_due_at
    if order.status != OrderStatus.PENDING_PAYMENT or due is None or due > now:
        return False
    from_status = order.status
    system = Actor.system(tenant_id, "payment-timeout")
    reservations.release_for_order(uow, system, order.id, reason="payment_timeout", now=now)
    short_lines.clear_on_release(uow, system, order, reason="payment_timeout", now=now)
    _transition(uow, order, OrderEvent.PAYMENT_TIMEOUT, now)
    attempt = Attempt(
        aggregate_type=_AGGREGATE,
        aggregate_id=order.id,
        event=str(OrderEvent.PAYMENT_TIMEOUT),
        outcome=Outcome.APPLIED,
        from_status=from_status,
        to_status=order.status,
        version_after=order.version,
        source=_TIMEOUT_SOURCE,
        reason="unpaid at the payment deadline",
        occurred_at=order.payment_due_at,
    )
    _record(uow, system, attempt, now)
    return True


def _transition(
    uow: UnitOfWork,
    order: Order,
    event: OrderEvent,
    now: datetime,
    *,
    shortage: list[dict[str, Any]] | None = None,
) -> None:
    """Write the status change with compare-and-set and publish it (and any stock shortage).

    The machine plans the columns (status, stamps, ``updated_at``) from the copy read under
    the lock; the UPDATE writes them only if nobody moved the order since (its version).
    """
    values: dict[str, Any] = states.MACHINE.changes(order, event=event, now=now)
    values["version"] = order.version + 1
    if shortage:
        values["exception_code"] = STOCK_SHORTAGE
    if not update_versioned(uow, order, values):
        raise _LostRace(
            Attempt(_AGGREGATE, order.id, str(event), Outcome.REJECTED, from_status=order.status)
        )
    from_status = str(states.MACHINE.transition(order, event=event, now=now))
    order.version = values["version"]
    if shortage:
        order.exception_code = STOCK_SHORTAGE
    changed = events.OrderStatusChanged(
        tenant_id=order.tenant_id,
        order_id=order.id,
        order_no=order.order_no,
        event=str(event),
        from_status=from_status,
        to_status=str(order.status),
        version=order.version,
    )
    outbox.add(uow, changed, now=now)
    if shortage:
        short = events.OrderStockShortage(
            tenant_id=order.tenant_id,
            order_id=order.id,
            order_no=order.order_no,
            lines=tuple(shortage),
        )
        outbox.add(uow, short, now=now)


def _stock_effect(
    uow: UnitOfWork, actor: Actor, order: Order, event: OrderEvent, now: datetime
) -> list[dict[str, Any]]:
    """Move the order's stock with its status; return the short lines of a failed deduction."""
    if event == OrderEvent.PAY:
        short = reservations.deduct_for_order(uow, actor, order.id, now=now)
        return short_lines.mark_paid_short(uow, actor, order, short, now) if short else []
    if event in _RELEASING_EVENTS:
        reservations.release_for_order(uow, actor, order.id, reason=str(event), now=now)
        short_lines.clear_on_release(uow, actor, order, reason=str(event), now=now)
    return []


def _lock_order(uow: UnitOfWork, tenant_id: str, order_id: str) -> Order:
    stmt = select(Order).where(Order.tenant_id == tenant_id, Order.id == order_id)
    if uow.is_postgres:
        stmt = stmt.with_for_update()
    order = uow.session.scalars(stmt).first()
    if order is None:
        raise OrderNotFound("no such order", order_id=order_id)
    # Detached: _transition writes with its own compare-and-set UPDATE, and the ORM must not
    # flush a second one when the unit of work commits.
    uow.session.expunge(order)
    return order


def _applied_history(uow: UnitOfWork, order: Order) -> list[AppliedEvent]:
    rows = uow.session.execute(
        select(
            AuditEntry.id,
            AuditEntry.event,
            AuditEntry.source,
            AuditEntry.occurred_at,
            AuditEntry.version_after,
        ).where(
            AuditEntry.tenant_id == order.tenant_id,
            AuditEntry.aggregate_type == _AGGREGATE,
            AuditEntry.aggregate_id == order.id,
            AuditEntry.outcome == Outcome.APPLIED,
        )
    )
    return [
        AppliedEvent(r.event, r.source, r.occurred_at, version_after=r.version_after, entry_id=r.id)
        for r in rows
    ]


def _record(uow: UnitOfWork, actor: Actor, attempt: Attempt, now: datetime) -> str:
    return audit.record_attempt(uow.session, actor, attempt, now=now)


def _record_refusal(db: Database, actor: Actor, attempt: Attempt, error: AppError) -> None:
    with db.uow() as uow:
        refused = _with(attempt, outcome=Outcome.REJECTED, error_code=error.code)
        _record(uow, actor, refused, uow.clock.now())
        uow.commit()


def _with(attempt: Attempt, **changes: Any) -> Attempt:
    return replace(attempt, **changes)
