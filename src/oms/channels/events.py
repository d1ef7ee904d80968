"""Events the channels domain writes to the outbox (jobs of its own; never relayed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from oms.core.outbox import Event

__all__ = ["DeliveryDeferred"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryDeferred(Event):
    """A stored, verified platform delivery whose processing waits for the tenant's intake
    limit (``OMS_INTAKE_RATE_LIMIT_PER_TENANT``); the job applies it when the window ends."""

    topic: ClassVar[str] = "channel.delivery_deferred"
    channel: str
    inbox_id: str
