"""Payment statuses and their transitions: the only place payment status rules live.

A payment is ``received`` when a verified notification reports it, and double confirmation
settles it once: ``confirmed`` (the gateway's query agrees and the order is paid),
``mismatched`` (callback, query and order disagree, or the trade never became final) or
``orphaned`` (real money for an order that can no longer be paid; it must go back).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol

from oms.payments.errors import InvalidPaymentTransition

__all__ = ["TRANSITIONS", "PaymentStatus", "can_transition", "transition"]


class PaymentStatus(StrEnum):
    RECEIVED = "received"
    CONFIRMED = "confirmed"
    MISMATCHED = "mismatched"
    ORPHANED = "orphaned"


S = PaymentStatus

TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    S.RECEIVED: frozenset({S.CONFIRMED, S.MISMATCHED, S.ORPHANED}),
    S.CONFIRMED: frozenset(),
    S.MISMATCHED: frozenset(),
    S.ORPHANED: frozenset(),
}


class _Settleable(Protocol):
    status: str
    problem: str | None
    settled_at: datetime | None
    updated_at: datetime


def can_transition(current: PaymentStatus, to: PaymentStatus) -> bool:
    """True when the table allows ``current → to``."""
    return to in TRANSITIONS[current]


def transition(
    payment: _Settleable, to: PaymentStatus, *, problem: str | None, now: datetime
) -> str:
    """Move ``payment`` to ``to``, stamping when and why; return the status it left.

    Raises: ERR_PAYMENT_INVALID_TRANSITION.
    """
    current = PaymentStatus(payment.status)
    if not can_transition(current, to):
        raise InvalidPaymentTransition(
            f"a {current} payment cannot become {to}", current=str(current), to=str(to)
        )
    payment.status = str(to)
    payment.problem = problem
    payment.settled_at = payment.updated_at = now
    return str(current)
