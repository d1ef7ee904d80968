"""Events the orders domain publishes, and the jobs it schedules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from oms.core.outbox import Event

__all__ = ["OrderCreated", "OrderPaymentTimeoutDue", "OrderStatusChanged", "OrderStockShortage"]


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderCreated(Event):
    """An order was placed (relayed and sent to webhook subscribers)."""

    topic: ClassVar[str] = "order.created"
    order_id: str
    order_no: str
    status: str
    channel: str
    total: int  # fen


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderStatusChanged(Event):
    """An event moved an order from one status to another."""

    topic: ClassVar[str] = "order.status_changed"
    order_id: str
    order_no: str
    event: str
    from_status: str
    to_status: str
    version: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderPaymentTimeoutDue(Event):
    """A job scheduled at the order's payment deadline; it makes the timeout durable."""

    topic: ClassVar[str] = "order.payment_timeout_due"
    order_id: str
    order_no: str
    status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderStockShortage(Event):
    """A paid order some of whose stock could not be deducted: those lines wait (shortage).

    Each line: ``{"sku", "requested", "available", "short"}``.
    """

    topic: ClassVar[str] = "order.stock_shortage"
    order_id: str
    order_no: str
    lines: tuple[dict[str, Any], ...]
