"""The orders domain's change feeds (``core.feeds``): orders and their lines, for BI tools.

Published: what an analyst needs to count, sum and slice (amounts in minor units, statuses as
reads show them, the delivery province and city); not published: the buyer's name, phone,
street address, IP and device, which stay behind the API's permissions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case

from oms.core.feeds import AtRead, Feed, FeedColumn, of_tenant
from oms.orders.models import Order, OrderLine
from oms.orders.queries import _effective_status, _effective_updated, _overdue

__all__ = ["ORDER_FEEDS"]


def _cancelled_at(now: datetime) -> ColumnElement[Any]:
    # An order overdue for payment reads as cancelled at its deadline (as the API shows it).
    return case((_overdue(now), Order.payment_due_at), else_=Order.cancelled_at)


_STATUS = AtRead(lambda now: _effective_status(now).label("status"))
_UPDATED = AtRead(lambda now: _effective_updated(now).label("updated_at"))

_ORDER_COLUMNS = (
    FeedColumn("order_id", "text", Order.id),
    FeedColumn("order_no", "text", Order.order_no),
    FeedColumn("channel", "text", Order.channel),
    FeedColumn("external_id", "text", Order.external_id),
    FeedColumn("status", "text", _STATUS),
    FeedColumn("currency", "text", Order.currency),
    FeedColumn("subtotal", "int", Order.subtotal),
    FeedColumn("shipping_fee", "int", Order.shipping_fee),
    FeedColumn("discount", "int", Order.discount),
    FeedColumn("total", "int", Order.total),
    FeedColumn("buyer_id", "text", Order.buyer_id),
    FeedColumn("province", "text", Order.shipping_address["province"].as_string()),
    FeedColumn("city", "text", Order.shipping_address["city"].as_string()),
    FeedColumn("stock_shortage", "bool", Order.stock_shortage),
    FeedColumn("placed_at", "time", Order.placed_at),
    FeedColumn("paid_at", "time", Order.paid_at),
    FeedColumn("shipped_at", "time", Order.shipped_at),
    FeedColumn("delivered_at", "time", Order.delivered_at),
    FeedColumn("completed_at", "time", Order.completed_at),
    FeedColumn("cancelled_at", "time", AtRead(lambda now: _cancelled_at(now).label("c"))),
    FeedColumn("closed_at", "time", Order.closed_at),
    FeedColumn("updated_at", "time", _UPDATED),
)

_LINE_COLUMNS = (
    FeedColumn("order_id", "text", OrderLine.order_id),
    FeedColumn("line_no", "int", OrderLine.line_no),
    FeedColumn("order_no", "text", Order.order_no),
    FeedColumn("channel", "text", Order.channel),
    FeedColumn("sku", "text", OrderLine.sku),
    FeedColumn("name", "text", OrderLine.name),
    FeedColumn("qty", "int", OrderLine.qty),
    FeedColumn("unit_price", "int", OrderLine.unit_price),
    FeedColumn("line_total", "int", OrderLine.line_total),
    FeedColumn("short_qty", "int", OrderLine.short_qty),
    FeedColumn("placed_at", "time", Order.placed_at),
    FeedColumn("updated_at", "time", _UPDATED),
)


def _lines_of(stmt: Select[Any], tenant_id: str) -> Select[Any]:
    of_order = (Order.tenant_id == OrderLine.tenant_id) & (Order.id == OrderLine.order_id)
    return stmt.select_from(OrderLine).join(Order, of_order).where(OrderLine.tenant_id == tenant_id)


ORDER_FEEDS = (
    Feed(
        name="orders",
        description="orders: amounts, status, channel, delivery region, lifecycle times",
        columns=_ORDER_COLUMNS,
        scope=of_tenant(Order.tenant_id),
        changed=AtRead(_effective_updated),
        keys=(Order.id,),
        dated=Order.placed_at,
    ),
    Feed(
        name="order_lines",
        description="order lines: SKU, units, prices; a line changes with its order",
        columns=_LINE_COLUMNS,
        scope=_lines_of,
        changed=AtRead(_effective_updated),
        keys=(OrderLine.order_id, OrderLine.line_no),
        dated=Order.placed_at,
    ),
)
