"""The refunds domain's change feed (``core.feeds``): refunds, their reason and outcome."""

from __future__ import annotations

from oms.core.feeds import Feed, FeedColumn, of_tenant
from oms.refunds.models import Refund

__all__ = ["REFUND_FEEDS"]


REFUND_FEEDS = (
    Feed(
        name="refunds",
        description="refunds: reason, scope, amount, status and when it was paid back",
        columns=(
            FeedColumn("refund_id", "text", Refund.id),
            FeedColumn("order_id", "text", Refund.order_id),
            FeedColumn("order_no", "text", Refund.order_no),
            FeedColumn("channel", "text", Refund.channel),
            FeedColumn("buyer_id", "text", Refund.buyer_id),
            FeedColumn("status", "text", Refund.status),
            FeedColumn("reason", "text", Refund.reason),
            FeedColumn("scope", "text", Refund.scope),
            FeedColumn("amount", "int", Refund.amount),
            FeedColumn("currency", "text", Refund.currency),
            FeedColumn("gateway", "text", Refund.gateway),
            FeedColumn("requested_at", "time", Refund.requested_at),
            FeedColumn("refunded_at", "time", Refund.refunded_at),
            FeedColumn("failed_at", "time", Refund.failed_at),
            FeedColumn("updated_at", "time", Refund.updated_at),
        ),
        scope=of_tenant(Refund.tenant_id),
        changed=Refund.updated_at,
        keys=(Refund.id,),
        dated=Refund.requested_at,
    ),
)
