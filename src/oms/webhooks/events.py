"""The events tenants may subscribe to, and the job that delivers one webhook."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from oms.alerts.events import AlertRaised
from oms.core.outbox import Event
from oms.orders.events import OrderCreated, OrderStatusChanged, OrderStockShortage

__all__ = ["EVENT_CLASSES", "EVENT_TYPES", "WILDCARD", "WebhookDeliveryDue"]

# The events relayed to subscribers (webhooks and NATS). Scheduled internal jobs (payment
# timeouts, deliveries) are not events and are never relayed.
EVENT_CLASSES: tuple[type[Event], ...] = (
    OrderCreated,
    OrderStatusChanged,
    OrderStockShortage,
    AlertRaised,
)
EVENT_TYPES: frozenset[str] = frozenset(event.topic for event in EVENT_CLASSES)
WILDCARD = "*"


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookDeliveryDue(Event):
    """One POST of one delivery (``replay``: an operator asked for it again)."""

    topic: ClassVar[str] = "webhook.deliver"
    delivery_id: str
    replay: bool = False
