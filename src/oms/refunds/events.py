"""Events of the refunds domain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from oms.core.outbox import Event

__all__ = ["SLA_RED_ALERT", "RefundExecutionDue", "RefundSucceeded"]

# The alert type a refund raises once when it turns red on the SLA board.
SLA_RED_ALERT = "refund.sla_red"


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundExecutionDue(Event):
    """An approved (or retried) refund: send it through the gateway, outside any transaction."""

    topic: ClassVar[str] = "refund.execute"
    refund_id: str
    order_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundSucceeded(Event):
    """The gateway sent the money back: the refund is ``refunded`` (accounting takes it up).

    ``scope`` is the refund's (``orphan``: money of a payment that never paid its order).
    """

    topic: ClassVar[str] = "refund.succeeded"
    refund_id: str
    order_id: str
    order_no: str
    scope: str
    gateway: str | None
    trade_no: str | None
    amount: int  # fen
    currency: str
    refunded_at: datetime
