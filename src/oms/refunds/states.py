"""Refund statuses and their transition table: the only place a refund's status is assigned.

requested → approved | rejected; approved → refunding → refunded | failed; failed →
refunding (a retry, with the same out_request_no / out_refund_no at the gateway).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from oms.core.states import IllegalMove, Machine
from oms.refunds.errors import IllegalRefundTransition

__all__ = [
    "MACHINE",
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


def _illegal(move: IllegalMove) -> IllegalRefundTransition:
    return IllegalRefundTransition(
        f"a {move.current} refund cannot become {move.to}",
        current_status=move.current,
        to=move.to,
        allowed=sorted(move.allowed),
    )


MACHINE: Machine[RefundStatus] = Machine(
    name="refund",
    status=RefundStatus,
    table=TRANSITIONS,
    error=_illegal,
    stamps={
        S.APPROVED: ("reviewed_at",),
        S.REJECTED: ("reviewed_at",),
        S.REFUNDED: ("refunded_at",),
        S.FAILED: ("failed_at",),
    },
)


def can_transition(current: RefundStatus, to: RefundStatus) -> bool:
    """True when the table allows ``current → to``."""
    return MACHINE.can(current, to)


def event_name(to: RefundStatus) -> str:
    """The audit/timeline event a move to ``to`` records (``refund_approved``, …)."""
    return _EVENTS[to]


def transition(refund: Any, to: RefundStatus, *, now: datetime) -> str:
    """Move ``refund`` to ``to`` and stamp when; return the status it left.

    Raises: ERR_REFUND_ILLEGAL_TRANSITION.
    """
    return str(MACHINE.transition(refund, to=to, now=now))
