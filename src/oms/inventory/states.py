"""Reservation statuses and movement kinds: pure rules, no database."""

from __future__ import annotations

from enum import StrEnum

from oms.core.errors import Conflict

__all__ = ["MANUAL_KINDS", "MovementKind", "ReservationStatus", "check_reservation_transition"]


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


def check_reservation_transition(current: str, to: ReservationStatus) -> None:
    """Raise ERR_RESERVATION_INVALID_TRANSITION unless ``current → to`` is allowed."""
    if to not in _RESERVATION_TRANSITIONS[ReservationStatus(current)]:
        raise InvalidReservationTransition(
            f"a {current} reservation cannot become {to}", current=current, to=str(to)
        )
