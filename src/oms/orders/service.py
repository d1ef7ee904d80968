"""Order use cases: place an order, apply an event, make a payment timeout durable.

Each public function is one command: one unit of work, one commit. Every attempt to change
an order leaves an audit entry, including attempts that are refused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from oms.config import get_settings
from oms.core import audit, outbox
from oms.core.audit import Attempt, Outcome
from oms.core.auth import ROLE_PERMISSIONS
from oms.core.context import Actor
from oms.core.db import table
from oms.core.errors import AppError, Forbidden
from oms.core.ids import new_id
from oms.core.models import AuditEntry, Tenant
from oms.core.uow import Database, UnitOfWork
from oms.inventory import reservations
from oms.orders import events, states
from oms.orders.errors import InvalidAmounts, OrderNotFound, VersionMismatch
from oms.orders.models import Order, OrderLine
from oms.orders.queries import order_out
from oms.orders.schemas import EventResult, OrderCreate, OrderEventIn, OrderLineOut, OrderOut
from oms.orders.states import AppliedEvent, OrderEvent, OrderStatus

__all__ = ["PlacedOrder", "apply_event", "apply_payment_timeout", "place_order"]

_AGGREGATE = "order"
_TIMEOUT_SOURCE = "system:payment-timeout"
STOCK_SHORTAGE = "stock_shortage"
_ORDERS = table(Order)
_INSERT_ORDER = insert(_ORDERS)
_INSERT_LINES = insert(table(OrderLine))
_EXTERNAL_ID = select(Order.id).where(
    Order.tenant_id == bindparam("tenant_id"),
    Order.channel == bindparam("channel"),
    Order.external_id == bindparam("external_id"),
)
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
            existing = _find_external(uow, actor.tenant_id, data.channel, data.external_id)
            if existing is not None:
                _record(uow, actor, _create_attempt(existing, Outcome.DUPLICATE, data), now)
                uow.commit()
                return PlacedOrder(order_out(uow.session, existing, now=now), created=False)
        tenant = _tenant(uow, actor.tenant_id)
        order = _insert_order(uow, tenant, data, subtotal=subtotal, now=now)
        reservations.reserve_for_order(
            uow,
            actor,
            order.id,
            [(line.sku, line.qty) for line in data.lines],
            warehouse=data.warehouse,
            ttl=timedelta(seconds=get_settings().reservation_ttl_seconds),
            now=now,
        )
        _record(uow, actor, _create_attempt(order, Outcome.APPLIED, data), now)
        _publish_created(uow, order, now)
        uow.commit()
        lines = _lines_out(data)
        return PlacedOrder(order_out(uow.session, order, now=now, lines=lines), created=True)


def apply_event(db: Database, actor: Actor, order_id: str, command: OrderEventIn) -> EventResult:
    """Apply one lifecycle event with compare-and-set on the order's version.

    Duplicates and stale events answer normally and change nothing; refused attempts are
    recorded and raised.
    Raises: ERR_ORDER_NOT_FOUND, ERR_AUTH_FORBIDDEN, ERR_ORDER_ILLEGAL_TRANSITION,
    ERR_ORDER_VERSION_MISMATCH.
    """
    try:
        return _apply_event_once(db, actor, order_id, command)
    except _LostRace as lost:
        # Rolled back: record the refusal on its own, as the attempt's only trace.
        error = VersionMismatch("another writer changed the order first")
        _record_refusal(db, actor, lost.attempt, error)
        raise error from None


def _apply_event_once(
    db: Database, actor: Actor, order_id: str, command: OrderEventIn
) -> EventResult:
    with db.uow() as uow:
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
        uow.commit()
        if decision.error is not None:
            raise decision.error
        return EventResult(
            outcome=decision.outcome,
            duplicate=decision.outcome == Outcome.DUPLICATE,
            stale=decision.outcome == Outcome.STALE,
            entry_id=entry_id,
            order=order_out(uow.session, order, now=now),
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
        error = Forbidden(f"role {actor.role} may not {command.event}", permission=permission)
        return states.Decision(Outcome.REJECTED, error=error)
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


def _find_external(uow: UnitOfWork, tenant_id: str, channel: str, external_id: str) -> Order | None:
    # A constant statement for the common "not seen before" answer; the ORM load only on a hit.
    key = {"tenant_id": tenant_id, "channel": channel, "external_id": external_id}
    found = uow.session.connection().execute(_EXTERNAL_ID, key).scalar()
    return None if found is None else uow.session.get(Order, (tenant_id, found))


@dataclass(frozen=True, slots=True)
class _TenantSettings:
    id: str
    timezone: str
    payment_timeout_seconds: int


_TENANT_SETTINGS = select(Tenant.id, Tenant.timezone, Tenant.payment_timeout_seconds).where(
    Tenant.id == bindparam("tenant_id")
)


def _tenant(uow: UnitOfWork, tenant_id: str) -> _TenantSettings:
    found = uow.session.connection().execute(_TENANT_SETTINGS, {"tenant_id": tenant_id}).first()
    if found is None:
        raise OrderNotFound("no such tenant", tenant_id=tenant_id)
    return _TenantSettings(*found)


def _insert_order(
    uow: UnitOfWork, tenant: _TenantSettings, data: OrderCreate, *, subtotal: int, now: datetime
) -> Order:
    phone = data.buyer.phone
    digits = "".join(ch for ch in phone if ch.isdigit()) if phone else None
    order = Order(
        tenant_id=tenant.id,
        id=new_id(),
        order_no=_order_number(now, tenant.timezone),
        channel=data.channel,
        external_id=data.external_id,
        status=str(OrderStatus.PENDING_PAYMENT),
        version=1,
        currency=data.currency,
        subtotal=subtotal,
        shipping_fee=data.shipping_fee,
        discount=data.discount,
        total=subtotal + data.shipping_fee - data.discount,
        buyer_id=data.buyer.id,
        buyer_name=data.buyer.name,
        buyer_phone=phone,
        buyer_phone_rev=digits[::-1] if digits else None,
        shipping_address=(
            data.shipping_address.model_dump(exclude_none=True) if data.shipping_address else None
        ),
        note=data.note,
        placed_at=data.placed_at or now,
        payment_due_at=now + timedelta(seconds=tenant.payment_timeout_seconds),
        created_at=now,
        updated_at=now,
    )
    columns = {c.key: getattr(order, c.key) for c in _ORDERS.columns}
    connection = uow.session.connection()
    connection.execute(_INSERT_ORDER, columns)
    connection.execute(
        _INSERT_LINES,
        [
            {
                "tenant_id": tenant.id,
                "order_id": order.id,
                "line_no": index,
                "sku": line.sku,
                "name": line.name,
                "qty": line.qty,
                "unit_price": line.unit_price,
                "line_total": line.qty * line.unit_price,
            }
            for index, line in enumerate(data.lines, start=1)
        ],
    )
    return order


def _lines_out(data: OrderCreate) -> list[OrderLineOut]:
    return [
        OrderLineOut(
            line_no=index,
            sku=line.sku,
            name=line.name,
            qty=line.qty,
            unit_price=line.unit_price,
            line_total=line.qty * line.unit_price,
        )
        for index, line in enumerate(data.lines, start=1)
    ]


def _publish_created(uow: UnitOfWork, order: Order, now: datetime) -> None:
    payload = {"order_id": order.id, "order_no": order.order_no, "status": order.status}
    outbox.enqueue(
        uow.session,
        tenant_id=order.tenant_id,
        topic=events.ORDER_CREATED,
        payload=payload | {"channel": order.channel, "total": order.total},
        now=now,
    )
    outbox.enqueue(
        uow.session,
        tenant_id=order.tenant_id,
        topic=events.ORDER_PAYMENT_TIMEOUT_DUE,
        payload=payload,
        now=now,
        available_at=order.payment_due_at,
    )


def _order_number(now: datetime, timezone: str) -> str:
    """``yymmdd`` + milliseconds of the local day + 4 random digits: 18 digits, sortable."""
    local = now.astimezone(ZoneInfo(timezone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    millis = int((local - midnight).total_seconds() * 1000)
    suffix = int.from_bytes(os.urandom(2), "big") % 10_000
    return f"{local:%y%m%d}{millis:08d}{suffix:04d}"


def _create_attempt(order: Order, outcome: str, data: OrderCreate) -> Attempt:
    return Attempt(
        aggregate_type=_AGGREGATE,
        aggregate_id=order.id,
        event="create",
        outcome=outcome,
        to_status=order.status if outcome == Outcome.APPLIED else None,
        from_status=None if outcome == Outcome.APPLIED else order.status,
        version_after=order.version,
        source=f"channel:{data.channel}",
        occurred_at=data.placed_at or order.placed_at,
        details={"external_id": data.external_id} if data.external_id else {},
    )


def _record(uow: UnitOfWork, actor: Actor, attempt: Attempt, now: datetime) -> str:
    return audit.record_attempt(uow.session, actor, attempt, now=now)


def _record_refusal(db: Database, actor: Actor, attempt: Attempt, error: AppError) -> None:
    with db.uow() as uow:
        refused = _with(attempt, outcome=Outcome.REJECTED, error_code=error.code)
        _record(uow, actor, refused, uow.clock.now())
        uow.commit()


def _with(attempt: Attempt, **changes: Any) -> Attempt:
    return replace(attempt, **changes)
