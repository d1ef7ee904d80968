"""Events of the feedback domain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from oms.core.outbox import Event

__all__ = ["FeedbackRequested"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedbackRequested(Event):
    """A refund completed: a future notifier sends the customer the link (``url``)."""

    topic: ClassVar[str] = "refund.feedback_requested"
    refund_id: str
    order_id: str
    order_no: str
    url: str
    # ISO 8601 as ``datetime.isoformat`` writes it (``+00:00``), kept as written before.
    expires_at: str
