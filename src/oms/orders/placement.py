"""Placing an order: the rows it writes, its number, what it publishes.

Helpers of ``service.place_order``; they run inside its unit of work. Constant statements,
because this is the hottest path in the system.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, select

from oms.core import outbox
from oms.core.audit import Attempt, Outcome
from oms.core.db import table
from oms.core.ids import new_id
from oms.core.models import Tenant
from oms.core.uow import UnitOfWork
from oms.orders import events
from oms.orders.errors import OrderNotFound
from oms.orders.models import Order, OrderLine
from oms.orders.schemas import OrderCreate, OrderLineOut
from oms.orders.states import OrderStatus

__all__ = [
    "TenantSettings",
    "create_attempt",
    "find_external",
    "insert_order",
    "lines_out",
    "order_number",
    "publish_created",
    "tenant_settings",
]

_AGGREGATE = "order"
_ORDERS = table(Order)
_INSERT_ORDER = insert(_ORDERS)
_INSERT_LINES = insert(table(OrderLine))
_EXTERNAL_ID = select(Order.id).where(
    Order.tenant_id == bindparam("tenant_id"),
    Order.channel == bindparam("channel"),
    Order.external_id == bindparam("external_id"),
)


def find_external(uow: UnitOfWork, tenant_id: str, channel: str, external_id: str) -> Order | None:
    # A constant statement for the common "not seen before" answer; the ORM load only on a hit.
    key = {"tenant_id": tenant_id, "channel": channel, "external_id": external_id}
    found = uow.session.connection().execute(_EXTERNAL_ID, key).scalar()
    return None if found is None else uow.session.get(Order, (tenant_id, found))


@dataclass(frozen=True, slots=True)
class TenantSettings:
    id: str
    timezone: str
    payment_timeout_seconds: int


_TENANT_SETTINGS = select(Tenant.id, Tenant.timezone, Tenant.payment_timeout_seconds).where(
    Tenant.id == bindparam("tenant_id")
)


def tenant_settings(uow: UnitOfWork, tenant_id: str) -> TenantSettings:
    found = uow.session.connection().execute(_TENANT_SETTINGS, {"tenant_id": tenant_id}).first()
    if found is None:
        raise OrderNotFound("no such tenant", tenant_id=tenant_id)
    return TenantSettings(*found)


def insert_order(
    uow: UnitOfWork, tenant: TenantSettings, data: OrderCreate, *, subtotal: int, now: datetime
) -> Order:
    phone = data.buyer.phone
    digits = "".join(ch for ch in phone if ch.isdigit()) if phone else None
    order = Order(
        tenant_id=tenant.id,
        id=new_id(),
        order_no=order_number(now, tenant.timezone),
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
        buyer_ip=str(data.buyer.ip) if data.buyer.ip is not None else None,
        buyer_device_id=data.buyer.device_id,
        shipping_address=(
            data.shipping_address.model_dump(mode="json", exclude_none=True)
            if data.shipping_address
            else None
        ),
        note=data.note,
        placed_at=data.placed_at or now,
        exception_code=None,
        stock_shortage=False,
        payment_due_at=(
            None
            if data.cash_on_delivery
            else now + timedelta(seconds=tenant.payment_timeout_seconds)
        ),
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
                "short_qty": 0,
            }
            for index, line in enumerate(data.lines, start=1)
        ],
    )
    return order


def lines_out(data: OrderCreate, short: dict[int, int] | None = None) -> list[OrderLineOut]:
    return [
        OrderLineOut(
            line_no=index,
            sku=line.sku,
            name=line.name,
            qty=line.qty,
            unit_price=line.unit_price,
            line_total=line.qty * line.unit_price,
            short_qty=(short or {}).get(index, 0),
        )
        for index, line in enumerate(data.lines, start=1)
    ]


def publish_created(uow: UnitOfWork, order: Order, now: datetime) -> None:
    created = events.OrderCreated(
        tenant_id=order.tenant_id,
        order_id=order.id,
        order_no=order.order_no,
        status=order.status,
        channel=order.channel,
        total=order.total,
    )
    outbox.add(uow, created, now=now)
    if order.payment_due_at is None:
        return  # cash on delivery: no deadline, no timeout job
    due = events.OrderPaymentTimeoutDue(
        tenant_id=order.tenant_id, order_id=order.id, order_no=order.order_no, status=order.status
    )
    outbox.add(uow, due, now=now, not_before=order.payment_due_at)


def order_number(now: datetime, timezone: str) -> str:
    """``yymmdd`` + milliseconds of the local day + 4 random digits: 18 digits, sortable."""
    local = now.astimezone(ZoneInfo(timezone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    millis = int((local - midnight).total_seconds() * 1000)
    suffix = int.from_bytes(os.urandom(2), "big") % 10_000
    return f"{local:%y%m%d}{millis:08d}{suffix:04d}"


def create_attempt(order: Order, outcome: str, data: OrderCreate) -> Attempt:
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
