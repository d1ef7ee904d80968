"""The orders domain's change feeds (``core.feeds``): orders and their lines, for BI tools.

Published: what an analyst needs to count, sum and slice (amounts in minor units, statuses as
reads show them, the delivery province and city); not published: the buyer's name, phone,
street address, IP and device, which stay behind the API's permissions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from oms.core.feeds import Feed, FeedColumn, RowValues
from oms.orders.models import Order, OrderLine
from oms.orders.queries import _effective_status, _effective_updated

__all__ = ["ORDER_FEEDS"]

_ORDER_COLUMNS = (
    FeedColumn("order_id", "text"),
    FeedColumn("order_no", "text"),
    FeedColumn("channel", "text"),
    FeedColumn("external_id", "text"),
    FeedColumn("status", "text"),
    FeedColumn("currency", "text"),
    FeedColumn("subtotal", "int"),
    FeedColumn("shipping_fee", "int"),
    FeedColumn("discount", "int"),
    FeedColumn("total", "int"),
    FeedColumn("buyer_id", "text"),
    FeedColumn("province", "text"),
    FeedColumn("city", "text"),
    FeedColumn("stock_shortage", "bool"),
    FeedColumn("placed_at", "time"),
    FeedColumn("paid_at", "time"),
    FeedColumn("shipped_at", "time"),
    FeedColumn("delivered_at", "time"),
    FeedColumn("completed_at", "time"),
    FeedColumn("cancelled_at", "time"),
    FeedColumn("closed_at", "time"),
    FeedColumn("updated_at", "time"),
)


def _select_orders(tenant_id: str, now: datetime) -> Select[Any]:
    columns: list[Any] = [
        Order.id,
        Order.order_no,
        Order.channel,
        Order.external_id,
        _effective_status(now),
        Order.currency,
        Order.subtotal,
        Order.shipping_fee,
        Order.discount,
        Order.total,
        Order.buyer_id,
        Order.shipping_address,
        Order.stock_shortage,
        Order.placed_at,
        Order.paid_at,
        Order.shipped_at,
        Order.delivered_at,
        Order.completed_at,
        Order.cancelled_at,
        Order.closed_at,
        _effective_updated(now),
    ]
    return select(*columns).where(Order.tenant_id == tenant_id)


def _shape_order(row: Sequence[Any]) -> RowValues:
    values = list(row)
    address = values[11] if isinstance(values[11], dict) else {}
    values[11:12] = [_text(address.get("province")), _text(address.get("city"))]
    # An order overdue for payment reads as cancelled at its deadline (as the API shows it).
    if values[4] == "cancelled" and values[19] is None:
        values[19] = values[21]
    return tuple(values)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


_LINE_COLUMNS = (
    FeedColumn("order_id", "text"),
    FeedColumn("line_no", "int"),
    FeedColumn("order_no", "text"),
    FeedColumn("channel", "text"),
    FeedColumn("sku", "text"),
    FeedColumn("name", "text"),
    FeedColumn("qty", "int"),
    FeedColumn("unit_price", "int"),
    FeedColumn("line_total", "int"),
    FeedColumn("short_qty", "int"),
    FeedColumn("placed_at", "time"),
    FeedColumn("updated_at", "time"),
)


def _select_lines(tenant_id: str, now: datetime) -> Select[Any]:
    columns: list[Any] = [
        OrderLine.order_id,
        OrderLine.line_no,
        Order.order_no,
        Order.channel,
        OrderLine.sku,
        OrderLine.name,
        OrderLine.qty,
        OrderLine.unit_price,
        OrderLine.line_total,
        OrderLine.short_qty,
        Order.placed_at,
        _effective_updated(now),
    ]
    of_order = (Order.tenant_id == OrderLine.tenant_id) & (Order.id == OrderLine.order_id)
    return select(*columns).join(Order, of_order).where(OrderLine.tenant_id == tenant_id)


ORDER_FEEDS = (
    Feed(
        name="orders",
        description="orders: amounts, status, channel, delivery region, lifecycle times",
        columns=_ORDER_COLUMNS,
        select=_select_orders,
        changed=_effective_updated,
        keys=(Order.id.expression,),
        dated=Order.placed_at.expression,
        shape=_shape_order,
    ),
    Feed(
        name="order_lines",
        description="order lines: SKU, units, prices; a line changes with its order",
        columns=_LINE_COLUMNS,
        select=_select_lines,
        changed=_effective_updated,
        keys=(OrderLine.order_id.expression, OrderLine.line_no.expression),
        dated=Order.placed_at.expression,
        shape=tuple,
    ),
)
