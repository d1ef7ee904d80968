"""The payments domain's change feed (``core.feeds``): money gateways reported, per order."""

from __future__ import annotations

from oms.core.feeds import Feed, FeedColumn, of_tenant
from oms.payments.models import Payment

__all__ = ["PAYMENT_FEEDS"]


PAYMENT_FEEDS = (
    Feed(
        name="payments",
        description="gateway payments: amount, status, gateway trade number, times",
        columns=(
            FeedColumn("payment_id", "text", Payment.id),
            FeedColumn("order_id", "text", Payment.order_id),
            FeedColumn("order_no", "text", Payment.order_no),
            FeedColumn("gateway", "text", Payment.gateway),
            FeedColumn("trade_no", "text", Payment.trade_no),
            FeedColumn("status", "text", Payment.status),
            FeedColumn("amount", "int", Payment.amount),
            FeedColumn("currency", "text", Payment.currency),
            FeedColumn("gateway_paid_at", "time", Payment.gateway_paid_at),
            FeedColumn("settled_at", "time", Payment.settled_at),
            FeedColumn("created_at", "time", Payment.created_at),
            FeedColumn("updated_at", "time", Payment.updated_at),
        ),
        scope=of_tenant(Payment.tenant_id),
        changed=Payment.updated_at,
        keys=(Payment.id,),
        dated=Payment.created_at,
    ),
)
