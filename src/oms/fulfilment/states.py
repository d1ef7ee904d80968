"""Shipment statuses: decided once, when the warehouse's report is reconciled with the order.

``accepted``: the parcel matched what the order still needed and counts as shipped;
``mismatched``: it did not, and an exception ticket holds the order. Neither changes later
(resolving the ticket lets the order ship, it does not rewrite what the warehouse sent), so
the table has no move: a status write on a recorded shipment is refused by the machine.
"""

from __future__ import annotations

from enum import StrEnum

from oms.core.states import Machine, refusal
from oms.fulfilment.errors import IllegalShipmentTransition

__all__ = ["SHIPMENT_MACHINE", "SHIPMENT_TRANSITIONS", "ShipmentStatus"]


class ShipmentStatus(StrEnum):
    ACCEPTED = "accepted"
    MISMATCHED = "mismatched"


SHIPMENT_TRANSITIONS: dict[ShipmentStatus, frozenset[ShipmentStatus]] = {
    ShipmentStatus.ACCEPTED: frozenset(),
    ShipmentStatus.MISMATCHED: frozenset(),
}


SHIPMENT_MACHINE: Machine[ShipmentStatus] = Machine(
    name="shipment",
    status=ShipmentStatus,
    table=SHIPMENT_TRANSITIONS,
    error=refusal(IllegalShipmentTransition),
    touch=None,
)
