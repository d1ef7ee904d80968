"""The refunds domain's change feed (``core.feeds``): refunds, their reason and outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select

from oms.core.feeds import Feed, FeedColumn
from oms.refunds.models import Refund

__all__ = ["REFUND_FEEDS"]

_COLUMNS = (
    FeedColumn("refund_id", "text"),
    FeedColumn("order_id", "text"),
    FeedColumn("order_no", "text"),
    FeedColumn("channel", "text"),
    FeedColumn("buyer_id", "text"),
    FeedColumn("status", "text"),
    FeedColumn("reason", "text"),
    FeedColumn("scope", "text"),
    FeedColumn("amount", "int"),
    FeedColumn("currency", "text"),
    FeedColumn("gateway", "text"),
    FeedColumn("requested_at", "time"),
    FeedColumn("refunded_at", "time"),
    FeedColumn("failed_at", "time"),
    FeedColumn("updated_at", "time"),
)


def _select(tenant_id: str, _now: datetime) -> Select[Any]:
    columns: list[Any] = [
        Refund.id,
        Refund.order_id,
        Refund.order_no,
        Refund.channel,
        Refund.buyer_id,
        Refund.status,
        Refund.reason,
        Refund.scope,
        Refund.amount,
        Refund.currency,
        Refund.gateway,
        Refund.requested_at,
        Refund.refunded_at,
        Refund.failed_at,
        Refund.updated_at,
    ]
    return select(*columns).where(Refund.tenant_id == tenant_id)


def _changed(_now: datetime) -> ColumnElement[datetime]:
    return Refund.updated_at.expression


REFUND_FEEDS = (
    Feed(
        name="refunds",
        description="refunds: reason, scope, amount, status and when it was paid back",
        columns=_COLUMNS,
        select=_select,
        changed=_changed,
        keys=(Refund.id.expression,),
        dated=Refund.requested_at.expression,
        shape=tuple,
    ),
)
