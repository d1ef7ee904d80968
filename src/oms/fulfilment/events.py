"""Events the fulfilment domain publishes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from oms.core.outbox import Event

__all__ = ["ShipmentRecorded"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ShipmentRecorded(Event):
    """A parcel left the warehouse and is now known by (carrier, tracking number).

    Carrier pushes that arrived for it before it was recorded are applied on this event.
    """

    topic: ClassVar[str] = "shipment.recorded"
    shipment_id: str
    order_id: str
    carrier: str
    tracking_no: str
