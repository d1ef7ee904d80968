"""Events the payments domain publishes, and the jobs it schedules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from oms.core.outbox import Event

__all__ = [
    "REJECTIONS_ALERT_THRESHOLD",
    "REJECTIONS_WINDOW_SECONDS",
    "PaymentConfirmationDue",
    "PaymentConfirmed",
    "PaymentOrphaned",
]

# This many rejected notifications per tenant and gateway within the window raise an alert.
REJECTIONS_ALERT_THRESHOLD = 5
REJECTIONS_WINDOW_SECONDS = 600


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentConfirmationDue(Event):
    """A verified payment notification: ask the gateway's query API before the order is paid."""

    topic: ClassVar[str] = "payment.confirm"
    payment_id: str
    order_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentOrphaned(Event):
    """Money arrived for an order that can no longer be paid; the refunds domain sends it back."""

    topic: ClassVar[str] = "payment.orphaned"
    payment_id: str
    order_id: str
    order_no: str
    gateway: str
    trade_no: str
    amount: int  # fen
    currency: str
    order_status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentConfirmed(Event):
    """The gateway's query agreed and the payment paid its order (accounting takes it up)."""

    topic: ClassVar[str] = "payment.confirmed"
    payment_id: str
    order_id: str
    order_no: str
    gateway: str
    trade_no: str
    amount: int  # fen
    currency: str
    paid_at: datetime | None
