"""Outbox topics the orders domain publishes, and the jobs it schedules."""

from __future__ import annotations

__all__ = [
    "ORDER_CREATED",
    "ORDER_PAYMENT_TIMEOUT_DUE",
    "ORDER_STATUS_CHANGED",
    "ORDER_STOCK_SHORTAGE",
]

ORDER_CREATED = "order.created"
ORDER_STATUS_CHANGED = "order.status_changed"
# A job scheduled at the order's payment deadline; it makes the timeout durable.
ORDER_PAYMENT_TIMEOUT_DUE = "order.payment_timeout_due"
# A paid order whose stock could not be deducted; the job compensates (see service).
ORDER_STOCK_SHORTAGE = "order.stock_shortage"
