"""Refund statuses and their transition table: the only place a refund's status is assigned.

requested → approved | rejected; approved → refunding → refunded | failed; failed →
refunding (a retry, with the same out_request_no / out_refund_no at the gateway).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol

from oms.refunds.errors import IllegalRefundTransition

__all__ = [
    "OPEN",
    "TRANSITIONS",
    "RefundStatus",
    "can_transition",
    "event_name",
    "transition",
]


class RefundStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    REFUNDING = "refunding"
    REFUNDED = "refunded"
    FAILED = "failed"


S = RefundStatus

TRANSITIONS: dict[RefundStatus, frozenset[RefundStatus]] = {
    S.REQUESTED: frozenset({S.APPROVED, S.REJECTED}),
    S.APPROVED: frozenset({S.REFUNDING}),
    S.REFUNDING: frozenset({S.REFUNDED, S.FAILED}),
    S.FAILED: frozenset({S.REFUNDING}),
    S.REJECTED: frozenset(),
    S.REFUNDED: frozenset(),
}
# Not yet done: these count against the paid amount and sit on the SLA board.
OPEN = frozenset({S.REQUESTED, S.APPROVED, S.REFUNDING, S.FAILED})
_EVENTS = {
    S.REQUESTED: "refund_requested",
    S.APPROVED: "refund_approved",
    S.REJECTED: "refund_rejected",
    S.REFUNDING: "refund_executing",
    S.REFUNDED: "refund_refunded",
    S.FAILED: "refund_failed",
}


class _Refundish(Protocol):
    status: str
    updated_at: datetime
    reviewed_at: datetime | None
    refunded_at: datetime | None
    failed_at: datetime | None


def can_transition(current: RefundStatus, to: RefundStatus) -> bool:
    """True when the table allows ``current → to``."""
    return to in TRANSITIONS[current]


def event_name(to: RefundStatus) -> str:
    """The audit/timeline event a move to ``to`` records (``refund_approved``, …)."""
    return _EVENTS[to]


def transition(refund: _Refundish, to: RefundStatus, *, now: datetime) -> str:
    """Move ``refund`` to ``to`` and stamp when; return the status it left.

    Raises: ERR_REFUND_ILLEGAL_TRANSITION.
    """
    current = RefundStatus(refund.status)
    if not can_transition(current, to):
        raise IllegalRefundTransition(
            f"a {current} refund cannot become {to}",
            current_status=str(current),
            to=str(to),
            allowed=sorted(str(s) for s in TRANSITIONS[current]),
        )
    refund.status = str(to)
    refund.updated_at = now
    if to in (S.APPROVED, S.REJECTED):
        refund.reviewed_at = now
    elif to == S.REFUNDED:
        refund.refunded_at = now
    elif to == S.FAILED:
        refund.failed_at = now
    return str(current)
