"""Where an order's risk hold stands: the status table of ``risk_assessments``.

``clear``: nothing to hold (every assessment starts here). ``awaiting_payment``: a
``review`` hit on an unpaid order; the order is held when it is paid (the lifecycle holds
only paid orders). ``held``: on hold with reason ``high_risk`` for a reviewer. ``released``
and ``cancelled``: the reviewer's decision (or, for ``cancelled``, a ``block`` hit on an
unpaid order).
"""

from __future__ import annotations

from enum import StrEnum

from oms.core.states import IllegalMove, Machine
from oms.risk.errors import NotHeld

__all__ = ["HOLD_MACHINE", "HOLD_REASON", "HoldStatus"]

# The hold reason the order lifecycle records (the order's timeline, its risk answer).
HOLD_REASON = "high_risk"


class HoldStatus(StrEnum):
    CLEAR = "clear"
    AWAITING_PAYMENT = "awaiting_payment"
    HELD = "held"
    RELEASED = "released"
    CANCELLED = "cancelled"


H = HoldStatus


def _error(move: IllegalMove) -> NotHeld:
    return NotHeld(
        f"a risk hold that is {move.current} cannot become {move.to}",
        current_status=str(move.current),
    )


HOLD_MACHINE: Machine[HoldStatus] = Machine(
    name="risk hold",
    status=HoldStatus,
    table={
        H.CLEAR: frozenset({H.AWAITING_PAYMENT, H.HELD, H.CANCELLED}),
        H.AWAITING_PAYMENT: frozenset({H.HELD, H.CANCELLED, H.CLEAR}),
        H.HELD: frozenset({H.RELEASED, H.CANCELLED}),
        H.RELEASED: frozenset(),
        H.CANCELLED: frozenset(),
    },
    error=_error,
    stamps={H.HELD: ("held_at",), H.RELEASED: ("decided_at",), H.CANCELLED: ("decided_at",)},
)
