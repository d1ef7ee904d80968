"""Ticket statuses and their transitions."""

from __future__ import annotations

from enum import StrEnum

from oms.core.errors import Conflict

__all__ = ["TicketKind", "TicketStatus", "check_ticket_transition"]


class TicketStatus(StrEnum):
    OPEN = "open"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"


class TicketKind(StrEnum):
    STOCK_SHORTAGE = "stock_shortage"
    FULFILMENT_MISMATCH = "fulfilment_mismatch"
    PAYMENT_MISMATCH = "payment_mismatch"
    PAYMENT_ORPHANED = "payment_orphaned"
    REFUND_MISMATCH = "refund_mismatch"


_TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.OPEN: frozenset({TicketStatus.ASSIGNED, TicketStatus.RESOLVED}),
    TicketStatus.ASSIGNED: frozenset({TicketStatus.ASSIGNED, TicketStatus.RESOLVED}),
    TicketStatus.RESOLVED: frozenset(),
}


class InvalidTicketTransition(Conflict):
    code = "ERR_TICKET_INVALID_TRANSITION"
    title = "The ticket cannot make this move"


def check_ticket_transition(current: str, to: TicketStatus) -> None:
    """Raise ERR_TICKET_INVALID_TRANSITION unless ``current → to`` is allowed."""
    if to not in _TRANSITIONS[TicketStatus(current)]:
        raise InvalidTicketTransition(f"a {current} ticket cannot become {to}", current=current)
