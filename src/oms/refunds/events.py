"""Outbox topics of the refunds domain."""

from __future__ import annotations

__all__ = ["REFUND_EXECUTE", "SLA_RED_ALERT"]

# An approved (or retried) refund: send it through the gateway, outside any transaction.
REFUND_EXECUTE = "refund.execute"
# The alert type a refund raises once when it turns red on the SLA board.
SLA_RED_ALERT = "refund.sla_red"
