"""Topics tenants may subscribe to, and the job that delivers one webhook."""

from __future__ import annotations

from oms.orders import events as order_events

__all__ = ["ALERT_RAISED", "EVENT_TYPES", "WEBHOOK_DELIVER", "WILDCARD"]

ALERT_RAISED = "alert.raised"
# Outbox topics relayed to subscribers. Scheduled internal jobs (payment timeouts) are not
# events and are never relayed.
EVENT_TYPES: frozenset[str] = frozenset(
    {
        order_events.ORDER_CREATED,
        order_events.ORDER_STATUS_CHANGED,
        order_events.ORDER_STOCK_SHORTAGE,
        ALERT_RAISED,
    }
)
WILDCARD = "*"
# One POST of one delivery; the payload names the delivery.
WEBHOOK_DELIVER = "webhook.deliver"
