"""Order reads: one order, filtered lists with cursor paging, the timeline.

Reads apply the payment deadline themselves: an unpaid order past its deadline is shown as
cancelled at the deadline, even before the timeout job has made that durable.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from oms.core.clock import floor_seconds
from oms.core.errors import ValidationFailed
from oms.core.models import AuditEntry
from oms.core.uow import Database
from oms.orders.errors import OrderNotFound
from oms.orders.models import Order, OrderLine
from oms.orders.schemas import OrderLineOut, OrderOut, OrderPage, TimelineEntry, Totals
from oms.orders.states import OrderStatus, allowed_events

__all__ = [
    "BuyerOrder",
    "ListedOrders",
    "OrderFilter",
    "buyer_orders",
    "find_by_order_no",
    "get_order",
    "list_orders",
    "order_out",
    "order_timeline",
]


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """What ``GET /orders`` can narrow by. Ranges are [from, to)."""

    statuses: Sequence[OrderStatus] = ()
    channel: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None
    q: str | None = None
    sync: bool = False
    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class ListedOrders:
    page: OrderPage
    # What a client may send back as If-Modified-Since to learn "nothing newer".
    last_modified: datetime
    # The newest (effective) update among all matching orders, None when nothing matches.
    newest_update: datetime | None


def get_order(db: Database, tenant_id: str, order_id: str) -> OrderOut:
    """One order with its lines. Raises: ERR_ORDER_NOT_FOUND (also for another tenant's)."""
    with db.reader() as session:
        order = session.scalars(
            select(Order).where(Order.tenant_id == tenant_id, Order.id == order_id)
        ).first()
        if order is None:
            raise OrderNotFound("no such order", order_id=order_id)
        return order_out(session, order, now=db.clock.now())


def find_by_order_no(db: Database, tenant_id: str, order_no: str) -> OrderOut | None:
    """The order with this number (unique per tenant), or None."""
    with db.reader() as session:
        order = session.scalars(
            select(Order).where(Order.tenant_id == tenant_id, Order.order_no == order_no)
        ).first()
        return None if order is None else order_out(session, order, now=db.clock.now())


def list_orders(db: Database, tenant_id: str, flt: OrderFilter, *, overlap_s: int) -> ListedOrders:
    """A page of orders, newest first, or oldest update first in sync mode.

    Raises: ERR_VALIDATION (a cursor that was not made by this endpoint).
    """
    now = db.clock.now()
    conditions = _conditions(tenant_id, flt, now)
    sort_key: ColumnElement[datetime] = (
        _effective_updated(now) if flt.sync else Order.created_at.expression
    )
    with db.reader() as session:
        stmt = select(Order, sort_key.label("sort_key")).where(*conditions)
        if flt.cursor:
            stmt = stmt.where(_after_cursor(sort_key, flt.cursor, ascending=flt.sync))
        order_by = (
            (sort_key.asc(), Order.id.asc())
            if flt.sync
            else (
                sort_key.desc(),
                Order.id.desc(),
            )
        )
        rows = session.execute(stmt.order_by(*order_by).limit(flt.limit + 1)).all()
        has_more = len(rows) > flt.limit
        rows = rows[: flt.limit]
        items = _outs(session, [row[0] for row in rows], now)
        newest = session.scalar(select(func.max(_effective_updated(now))).where(*conditions))
    cursor = _encode_cursor(rows[-1].sort_key, rows[-1][0].id) if has_more and rows else None
    return ListedOrders(
        page=OrderPage(items=items, next_cursor=cursor),
        last_modified=_last_modified(newest, now, overlap_s),
        newest_update=newest,
    )


def order_timeline(db: Database, tenant_id: str, order_id: str) -> list[TimelineEntry]:
    """Every attempt to change the order, oldest first. Raises: ERR_ORDER_NOT_FOUND."""
    with db.reader() as session:
        exists = session.scalar(
            select(Order.id).where(Order.tenant_id == tenant_id, Order.id == order_id)
        )
        if exists is None:
            raise OrderNotFound("no such order", order_id=order_id)
        entries = session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.tenant_id == tenant_id,
                AuditEntry.aggregate_type == "order",
                AuditEntry.aggregate_id == order_id,
            )
            .order_by(AuditEntry.recorded_at, AuditEntry.id)
        )
        return [TimelineEntry.model_validate(e, from_attributes=True) for e in entries]


def order_out(
    session: Session, order: Order, *, now: datetime, lines: list[OrderLineOut] | None = None
) -> OrderOut:
    """Render an order as the API shows it, payment deadline applied."""
    if lines is None:
        lines = _lines_of(session, order.tenant_id, [order.id]).get(order.id, [])
    return _render(order, lines, now)


def _outs(session: Session, orders: list[Order], now: datetime) -> list[OrderOut]:
    if not orders:
        return []
    lines = _lines_of(session, orders[0].tenant_id, [o.id for o in orders])
    return [_render(o, lines.get(o.id, []), now) for o in orders]


def _render(order: Order, lines: list[OrderLineOut], now: datetime) -> OrderOut:
    status = OrderStatus(order.status)
    cancelled_at, updated_at = order.cancelled_at, order.updated_at
    timeout_pending = status == OrderStatus.PENDING_PAYMENT and order.payment_due_at <= now
    if timeout_pending:
        status, cancelled_at = OrderStatus.CANCELLED, order.payment_due_at
        updated_at = max(updated_at, order.payment_due_at)
    buyer = {"id": order.buyer_id, "name": order.buyer_name, "phone": order.buyer_phone}
    return OrderOut(
        id=order.id,
        order_no=order.order_no,
        channel=order.channel,
        external_id=order.external_id,
        status=status,
        version=order.version,
        currency=order.currency,
        totals=Totals(
            subtotal=order.subtotal,
            shipping_fee=order.shipping_fee,
            discount=order.discount,
            total=order.total,
        ),
        buyer=buyer,
        shipping_address=order.shipping_address,
        note=order.note,
        exception_code=order.exception_code,
        lines=lines,
        allowed_events=allowed_events(status),
        timeout_pending=timeout_pending,
        placed_at=order.placed_at,
        payment_due_at=order.payment_due_at,
        created_at=order.created_at,
        updated_at=updated_at,
        paid_at=order.paid_at,
        cancelled_at=cancelled_at,
        shipped_at=order.shipped_at,
        delivered_at=order.delivered_at,
        completed_at=order.completed_at,
        closed_at=order.closed_at,
    )


def _lines_of(
    session: Session, tenant_id: str, order_ids: list[str]
) -> dict[str, list[OrderLineOut]]:
    rows = session.scalars(
        select(OrderLine)
        .where(OrderLine.tenant_id == tenant_id, OrderLine.order_id.in_(order_ids))
        .order_by(OrderLine.order_id, OrderLine.line_no)
    )
    out: dict[str, list[OrderLineOut]] = {}
    for row in rows:
        out.setdefault(row.order_id, []).append(
            OrderLineOut.model_validate(row, from_attributes=True)
        )
    return out


def _overdue(now: datetime) -> ColumnElement[bool]:
    return and_(Order.status == OrderStatus.PENDING_PAYMENT.value, Order.payment_due_at <= now)


def _effective_status(now: datetime) -> ColumnElement[str]:
    return case((_overdue(now), OrderStatus.CANCELLED.value), else_=Order.status)


def _effective_updated(now: datetime) -> ColumnElement[datetime]:
    return case((_overdue(now), Order.payment_due_at), else_=Order.updated_at)


def _conditions(tenant_id: str, flt: OrderFilter, now: datetime) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [Order.tenant_id == tenant_id]
    if flt.statuses:
        conds.append(_effective_status(now).in_([s.value for s in flt.statuses]))
    if flt.channel:
        conds.append(Order.channel == flt.channel)
    if flt.created_from:
        conds.append(Order.created_at >= flt.created_from)
    if flt.created_to:
        conds.append(Order.created_at < flt.created_to)
    updated = _effective_updated(now)
    if flt.updated_from:
        conds.append(updated >= flt.updated_from)
    if flt.updated_to:
        conds.append(updated < flt.updated_to)
    if flt.q:
        conds.append(_search(flt.q))
    return conds


def _search(q: str) -> ColumnElement[bool]:
    """Order number, external id, or the last digits of the buyer's phone."""
    q = q.strip()
    options: list[ColumnElement[bool]] = [Order.order_no == q, Order.external_id == q]
    if q.isdigit() and len(q) >= 4:
        options.append(Order.buyer_phone_rev.startswith(q[::-1], autoescape=True))
    return or_(*options)


def _last_modified(newest: datetime | None, now: datetime, overlap_s: int) -> datetime:
    """A Last-Modified for a list, safe against same-second and late-commit changes.

    It claims completeness only up to a horizon a little in the past, because a transaction
    that stamped its change earlier may commit after this read. Rows newer than the horizon
    are served again on the next poll (clients dedupe by id and version).
    """
    horizon = floor_seconds(now - timedelta(seconds=overlap_s))
    if newest is None:
        return horizon
    return min(floor_seconds(newest) + timedelta(seconds=1), horizon)


def _encode_cursor(sort_key: datetime, order_id: str) -> str:
    raw = json.dumps([sort_key.isoformat(), order_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _after_cursor(
    sort_key: ColumnElement[Any], cursor: str, *, ascending: bool
) -> ColumnElement[bool]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key_text, order_id = json.loads(base64.urlsafe_b64decode(padded))
        key = datetime.fromisoformat(key_text)
        if key.tzinfo is None or not isinstance(order_id, str):
            raise ValueError
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise ValidationFailed("invalid cursor", field="cursor") from None
    if ascending:
        return or_(sort_key > key, and_(sort_key == key, Order.id > order_id))
    return or_(sort_key < key, and_(sort_key == key, Order.id < order_id))


@dataclass(frozen=True, slots=True)
class BuyerOrder:
    """One order of a buyer, as trust decisions (auto-refund) need it."""

    id: str
    placed_at: datetime
    paid_at: datetime | None


def buyer_orders(session: Session, tenant_id: str, buyer_id: str) -> list[BuyerOrder]:
    """Every order of ``buyer_id`` (orders.buyer_id), oldest first, in the caller's session."""
    rows = session.execute(
        select(Order.id, Order.placed_at, Order.paid_at)
        .where(Order.tenant_id == tenant_id, Order.buyer_id == buyer_id)
        .order_by(Order.placed_at, Order.id)
    )
    return [BuyerOrder(r.id, r.placed_at, r.paid_at) for r in rows]
