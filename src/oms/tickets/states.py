"""Ticket statuses and their transitions."""

from __future__ import annotations

from enum import StrEnum

from oms.core.errors import Conflict
from oms.core.states import IllegalMove, Machine, refusal

__all__ = ["MACHINE", "TicketKind", "TicketStatus", "check_ticket_transition"]


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
    # A late event from one system conflicts with a newer status another system set.
    STATUS_CONFLICT = "status_conflict"
    # Carrier tracking: a return scan, an explicit exception code, a parcel without new scans.
    DELIVERY_RETURNED = "delivery_returned"
    DELIVERY_EXCEPTION = "delivery_exception"
    DELIVERY_STALLED = "delivery_stalled"
    # A paid order no carrier can take (hazardous goods, an unserved region, overweight).
    FULFILMENT_UNPLANNED = "fulfilment_unplanned"
    # The merchant's accounting system refused a sales or refund receipt (its message inside).
    ACCOUNTING_REJECTED = "accounting_rejected"


_TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.OPEN: frozenset({TicketStatus.ASSIGNED, TicketStatus.RESOLVED}),
    TicketStatus.ASSIGNED: frozenset({TicketStatus.ASSIGNED, TicketStatus.RESOLVED}),
    TicketStatus.RESOLVED: frozenset(),
}


class InvalidTicketTransition(Conflict):
    code = "ERR_TICKET_INVALID_TRANSITION"
    title = "The ticket cannot make this move"


_illegal = refusal(InvalidTicketTransition, facts=("current",))


MACHINE: Machine[TicketStatus] = Machine(
    name="ticket",
    status=TicketStatus,
    table=_TRANSITIONS,
    error=_illegal,
    stamps={TicketStatus.RESOLVED: ("resolved_at",)},
)


def check_ticket_transition(current: str, to: TicketStatus) -> None:
    """Raise ERR_TICKET_INVALID_TRANSITION unless ``current → to`` is allowed."""
    if not MACHINE.can(current, to):
        raise _illegal(IllegalMove("ticket", current, str(to), None, []))
