"""Outbox topics of the feedback domain."""

from __future__ import annotations

__all__ = ["FEEDBACK_REQUESTED"]

# A refund completed: a future notifier sends the customer the link in the payload.
FEEDBACK_REQUESTED = "refund.feedback_requested"
