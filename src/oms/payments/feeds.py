"""The payments domain's change feed (``core.feeds``): money gateways reported, per order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select

from oms.core.feeds import Feed, FeedColumn
from oms.payments.models import Payment

__all__ = ["PAYMENT_FEEDS"]

_COLUMNS = (
    FeedColumn("payment_id", "text"),
    FeedColumn("order_id", "text"),
    FeedColumn("order_no", "text"),
    FeedColumn("gateway", "text"),
    FeedColumn("trade_no", "text"),
    FeedColumn("status", "text"),
    FeedColumn("amount", "int"),
    FeedColumn("currency", "text"),
    FeedColumn("gateway_paid_at", "time"),
    FeedColumn("settled_at", "time"),
    FeedColumn("created_at", "time"),
    FeedColumn("updated_at", "time"),
)


def _select(tenant_id: str, _now: datetime) -> Select[Any]:
    columns: list[Any] = [
        Payment.id,
        Payment.order_id,
        Payment.order_no,
        Payment.gateway,
        Payment.trade_no,
        Payment.status,
        Payment.amount,
        Payment.currency,
        Payment.gateway_paid_at,
        Payment.settled_at,
        Payment.created_at,
        Payment.updated_at,
    ]
    return select(*columns).where(Payment.tenant_id == tenant_id)


def _changed(_now: datetime) -> ColumnElement[datetime]:
    return Payment.updated_at.expression


PAYMENT_FEEDS = (
    Feed(
        name="payments",
        description="gateway payments: amount, status, gateway trade number, times",
        columns=_COLUMNS,
        select=_select,
        changed=_changed,
        keys=(Payment.id.expression,),
        dated=Payment.created_at.expression,
        shape=tuple,
    ),
)
