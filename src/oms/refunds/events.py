"""Events of the refunds domain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from oms.core.outbox import Event

__all__ = ["SLA_RED_ALERT", "RefundExecutionDue"]

# The alert type a refund raises once when it turns red on the SLA board.
SLA_RED_ALERT = "refund.sla_red"


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundExecutionDue(Event):
    """An approved (or retried) refund: send it through the gateway, outside any transaction."""

    topic: ClassVar[str] = "refund.execute"
    refund_id: str
    order_id: str
