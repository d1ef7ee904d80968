"""Jobs of the webhooks domain: fan-out on every relayed topic, and ``webhook.deliver``."""

from __future__ import annotations

from functools import partial

from oms.config import Settings
from oms.core.jobs import register_handler, register_subscriber
from oms.webhooks.delivery import deliver
from oms.webhooks.events import EVENT_TYPES, WEBHOOK_DELIVER
from oms.webhooks.fanout import fan_out

__all__ = ["register"]


def register(settings: Settings) -> None:
    """Subscribe the fan-out to every relayed topic and attach the delivery handler."""
    for topic in sorted(EVENT_TYPES):
        register_subscriber(topic, "webhooks.fan_out", fan_out)
    register_handler(WEBHOOK_DELIVER, partial(deliver, settings=settings))
