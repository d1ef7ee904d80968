"""The send job notifications schedule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from oms.core.outbox import Event

__all__ = ["NotificationDue"]


@dataclass(frozen=True, slots=True, kw_only=True)
class NotificationDue(Event):
    """Send one logged message (due now, or at the end of the buyer's quiet hours)."""

    topic: ClassVar[str] = "notification.send"
    message_id: str
    order_id: str
