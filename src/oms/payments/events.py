"""Outbox topics the payments domain publishes, and the jobs it schedules."""

from __future__ import annotations

__all__ = [
    "PAYMENT_CONFIRM",
    "PAYMENT_ORPHANED",
    "REJECTIONS_ALERT_THRESHOLD",
    "REJECTIONS_WINDOW_SECONDS",
]

# A verified payment notification: ask the gateway's query API before the order is paid.
PAYMENT_CONFIRM = "payment.confirm"
# Money arrived for an order that can no longer be paid; the refunds domain sends it back.
PAYMENT_ORPHANED = "payment.orphaned"
# This many rejected notifications per tenant and gateway within the window raise an alert.
REJECTIONS_ALERT_THRESHOLD = 5
REJECTIONS_WINDOW_SECONDS = 600
