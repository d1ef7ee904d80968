"""Jobs of the webhooks domain: fan-out on every relayed topic, and ``webhook.deliver``."""

from __future__ import annotations

from functools import partial

from oms.config import Settings
from oms.core.jobs import JobRegistry
from oms.webhooks.delivery import deliver
from oms.webhooks.events import EVENT_CLASSES, WebhookDeliveryDue
from oms.webhooks.fanout import fan_out

__all__ = ["register"]


def register(registry: JobRegistry, settings: Settings) -> None:
    """Subscribe the fan-out to every relayed event and attach the delivery handler."""
    for event_type in EVENT_CLASSES:
        registry.subscribe(event_type, "webhooks.fan_out", fan_out)
    registry.handle(WebhookDeliveryDue, partial(deliver, settings=settings))
