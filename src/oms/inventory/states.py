"""Reservation statuses and movement kinds: pure rules, no database.

``RESERVATION_MACHINE`` is the only writer of a reservation's status: a hold is active until it
is released (the order was cancelled), expires (its time ran out) or is deducted (the order
was paid), and each of those closes it (``closed_at``).
"""

from __future__ import annotations

from enum import StrEnum

from oms.core.errors import Conflict
from oms.core.states import Machine, refusal

__all__ = [
    "MANUAL_KINDS",
    "RESERVATION_MACHINE",
    "InvalidReservationTransition",
    "MovementKind",
    "ReservationStatus",
]


class ReservationStatus(StrEnum):
    ACTIVE = "active"
    RELEASED = "released"
    EXPIRED = "expired"
    DEDUCTED = "deducted"


class MovementKind(StrEnum):
    INBOUND = "inbound"
    ADJUSTMENT = "adjustment"
    RESERVE = "reserve"
    RELEASE = "release"
    EXPIRE = "expire"
    DEDUCT = "deduct"
    RETURN = "return"
    CORRECTION = "correction"


# Kinds a person or an external system (ERP, WMS) may post; the rest come from orders.
MANUAL_KINDS = frozenset(
    {
        MovementKind.INBOUND,
        MovementKind.ADJUSTMENT,
        MovementKind.DEDUCT,
        MovementKind.RETURN,
        MovementKind.CORRECTION,
    }
)

_RESERVATION_TRANSITIONS: dict[ReservationStatus, frozenset[ReservationStatus]] = {
    ReservationStatus.ACTIVE: frozenset(
        {ReservationStatus.RELEASED, ReservationStatus.EXPIRED, ReservationStatus.DEDUCTED}
    ),
    ReservationStatus.RELEASED: frozenset(),
    ReservationStatus.EXPIRED: frozenset(),
    ReservationStatus.DEDUCTED: frozenset(),
}


class InvalidReservationTransition(Conflict):
    code = "ERR_RESERVATION_INVALID_TRANSITION"
    title = "The reservation cannot make this move"


_illegal = refusal(InvalidReservationTransition, facts=("current", "to"))


_CLOSES = ("closed_at",)
RESERVATION_MACHINE: Machine[ReservationStatus] = Machine(
    name="reservation",
    status=ReservationStatus,
    table=_RESERVATION_TRANSITIONS,
    error=_illegal,
    stamps={
        ReservationStatus.RELEASED: _CLOSES,
        ReservationStatus.EXPIRED: _CLOSES,
        ReservationStatus.DEDUCTED: _CLOSES,
    },
    touch=None,
)
