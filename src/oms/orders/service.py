"""Order use cases: place an order, apply an event, make a payment timeout durable.

Each public function is one command: one unit of work, one commit. Every attempt to change
an order leaves an audit entry, including attempts that are refused.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from oms.config import get_settings
from oms.core import audit, outbox
from oms.core.audit import Attempt, Outcome
from oms.core.auth import ROLE_PERMISSIONS
from oms.core.context import Actor
from oms.core.errors import AppError, Forbidden
from oms.core.models import AuditEntry
from oms.core.uow import Database, UnitOfWork
from oms.inventory import reservations
from oms.orders import events, placement, states
from oms.orders.errors import FulfilmentBlocked, InvalidAmounts, OrderNotFound, VersionMismatch
from oms.orders.models import Order, OrderLine
from oms.orders.queries import order_out
from oms.orders.schemas import EventResult, OrderCreate, OrderEventIn, OrderOut
from oms.orders.states import AppliedEvent, OrderEvent, OrderStatus
from oms.tickets.service import open_ticket_ids
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
    "refund_view",
]

_AGGREGATE = "order"
_TIMEOUT_SOURCE = "system:payment-timeout"
STOCK_SHORTAGE = "stock_shortage"
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

    Raises: ERR_ORDER_INVALID_AMOUNTS.
    """
    subtotal = sum(line.qty * line.unit_price for line in data.lines)
    if data.discount > subtotal + data.shipping_fee:
        raise InvalidAmounts(
            "the discount is larger than the goods and shipping",
            subtotal=subtotal,
            shipping_fee=data.shipping_fee,
            discount=data.discount,
        )
    for attempt in range(3):
        try:
            return _place_order_once(db, actor, data, subtotal)
        except IntegrityError:
            # A concurrent request created the same external id (the retry finds it), or two
            # orders drew the same order number in the same millisecond (the retry redraws).
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


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
        reservations.reserve_for_order(
            uow,
            actor,
            order.id,
            [(line.sku, line.qty) for line in data.lines],
            warehouse=data.warehouse,
            ttl=timedelta(seconds=get_settings().reservation_ttl_seconds),
            now=now,
        )
        uow.commit()
        lines = placement.lines_out(data)
        return PlacedOrder(order_out(uow.session, order, now=now, lines=lines), created=True)


def apply_event(db: Database, actor: Actor, order_id: str, command: OrderEventIn) -> EventResult:
    """Apply one lifecycle event with compare-and-set on the order's version.

    Duplicates and stale events answer normally and change nothing; refused attempts are
    recorded and raised.
    Raises: ERR_ORDER_NOT_FOUND, ERR_AUTH_FORBIDDEN, ERR_ORDER_ILLEGAL_TRANSITION,
    ERR_ORDER_VERSION_MISMATCH, ERR_ORDER_FULFILMENT_BLOCKED.
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
    decision = _decide(uow, actor, order, command, occurred_at)
    if decision.outcome == Outcome.APPLIED:
        assert decision.to_status is not None
        shortage = _stock_effect(uow, actor, order, command.event, now)
        _transition(uow, order, command.event, decision.to_status, now, shortage=shortage)
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
    """What fulfilment needs of an order: its number, status and lines (SKU, qty)."""

    order_no: str
    status: str
    lines: list[tuple[str, int]]


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
    return FulfilmentView(order.order_no, order.status, [(sku, qty) for sku, qty in lines])


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
    uow: UnitOfWork, actor: Actor, order: Order, command: OrderEventIn, occurred_at: datetime
) -> states.Decision:
    permission = states.EVENT_PERMISSION[command.event]
    if actor.role != "system" and actor.role not in ROLE_PERMISSIONS[permission]:
        forbidden = Forbidden(f"role {actor.role} may not {command.event}", permission=permission)
        return states.Decision(Outcome.REJECTED, error=forbidden)
    if command.event in _SHIPPING_EVENTS:
        blocking = open_ticket_ids(uow, order.tenant_id, order.id, TicketKind.FULFILMENT_MISMATCH)
        if blocking:
            blocked = FulfilmentBlocked("resolve the fulfilment ticket first", ticket_ids=blocking)
            return states.Decision(Outcome.REJECTED, error=blocked)
    return states.decide(
        event=command.event,
        status=OrderStatus(order.status),
        version=order.version,
        expected_version=command.expected_version,
        source=command.source,
        occurred_at=occurred_at,
        history=_applied_history(uow, order),
    )


def _materialise_due_timeout(uow: UnitOfWork, tenant_id: str, order: Order, now: datetime) -> bool:
    """Apply the payment timeout if it is due, so every write sees what reads already show."""
    if order.status != OrderStatus.PENDING_PAYMENT or order.payment_due_at > now:
        return False
    from_status = order.status
    system = Actor.system(tenant_id, "payment-timeout")
    reservations.release_for_order(uow, system, order.id, reason="payment_timeout", now=now)
    _transition(uow, order, OrderEvent.PAYMENT_TIMEOUT, OrderStatus.CANCELLED, now)
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
    to_status: OrderStatus,
    now: datetime,
    *,
    shortage: list[dict[str, Any]] | None = None,
) -> None:
    """Write the status change with compare-and-set and publish it (and any stock shortage)."""
    values: dict[str, Any] = {"status": str(to_status), "version": order.version + 1}
    values["updated_at"] = now
    if shortage:
        values["exception_code"] = STOCK_SHORTAGE
    stamp = states.timestamp_field(event)
    if stamp is not None and getattr(order, stamp) is None:
        values[stamp] = now
    result = uow.session.execute(
        update(Order)
        .where(
            Order.tenant_id == order.tenant_id,
            Order.id == order.id,
            Order.version == order.version,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise _LostRace(
            Attempt(_AGGREGATE, order.id, str(event), Outcome.REJECTED, from_status=order.status)
        )
    from_status = order.status
    for key, value in values.items():
        setattr(order, key, value)
    outbox.enqueue(
        uow.session,
        tenant_id=order.tenant_id,
        topic=events.ORDER_STATUS_CHANGED,
        payload={
            "order_id": order.id,
            "order_no": order.order_no,
            "event": str(event),
            "from_status": from_status,
            "to_status": str(to_status),
            "version": order.version,
        },
        now=now,
    )
    if shortage:
        outbox.enqueue(
            uow.session,
            tenant_id=order.tenant_id,
            topic=events.ORDER_STOCK_SHORTAGE,
            payload={"order_id": order.id, "order_no": order.order_no, "lines": shortage},
            now=now,
        )


def _stock_effect(
    uow: UnitOfWork, actor: Actor, order: Order, event: OrderEvent, now: datetime
) -> list[dict[str, Any]]:
    """Move the order's stock with its status; return the short lines of a failed deduction."""
    if event == OrderEvent.PAY:
        short = reservations.deduct_for_order(uow, actor, order.id, now=now)
        return [{"sku": s.sku, "requested": s.requested, "available": s.available} for s in short]
    if event in _RELEASING_EVENTS:
        reservations.release_for_order(uow, actor, order.id, reason=str(event), now=now)
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
        select(AuditEntry.event, AuditEntry.source, AuditEntry.occurred_at).where(
            AuditEntry.tenant_id == order.tenant_id,
            AuditEntry.aggregate_type == _AGGREGATE,
            AuditEntry.aggregate_id == order.id,
            AuditEntry.outcome == Outcome.APPLIED,
        )
    )
    return [AppliedEvent(r.event, r.source, r.occurred_at) for r in rows]


def _record(uow: UnitOfWork, actor: Actor, attempt: Attempt, now: datetime) -> str:
    return audit.record_attempt(uow.session, actor, attempt, now=now)


def _record_refusal(db: Database, actor: Actor, attempt: Attempt, error: AppError) -> None:
    with db.uow() as uow:
        refused = _with(attempt, outcome=Outcome.REJECTED, error_code=error.code)
        _record(uow, actor, refused, uow.clock.now())
        uow.commit()


def _with(attempt: Attempt, **changes: Any) -> Attempt:
    return replace(attempt, **changes)
