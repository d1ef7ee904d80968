"""Payment statuses and their transitions: the only place payment status rules live.

A payment is ``received`` when a verified notification reports it, and double confirmation
settles it once: ``confirmed`` (the gateway's query agrees and the order is paid),
``mismatched`` (callback, query and order disagree, or the trade never became final) or
``orphaned`` (real money for an order that can no longer be paid; it must go back).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from oms.core.states import Machine, refusal
from oms.payments.errors import InvalidPaymentTransition

__all__ = ["MACHINE", "TRANSITIONS", "PaymentStatus", "can_transition", "transition"]


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


_illegal = refusal(InvalidPaymentTransition, facts=("current", "to"))


# Every settlement stamps settled_at: a payment settles once.
MACHINE: Machine[PaymentStatus] = Machine(
    name="payment",
    status=PaymentStatus,
    table=TRANSITIONS,
    error=_illegal,
    stamps={s: ("settled_at",) for s in (S.CONFIRMED, S.MISMATCHED, S.ORPHANED)},
)


def can_transition(current: PaymentStatus, to: PaymentStatus) -> bool:
    """True when the table allows ``current → to``."""
    return MACHINE.can(current, to)


def transition(payment: Any, to: PaymentStatus, *, problem: str | None, now: datetime) -> str:
    """Move ``payment`` to ``to``, stamping when and why; return the status it left.

    Raises: ERR_PAYMENT_INVALID_TRANSITION.
    """
    from_status = MACHINE.transition(payment, to=to, now=now)
    payment.problem = problem
    return str(from_status)
