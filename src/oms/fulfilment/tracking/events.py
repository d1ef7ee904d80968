"""Events carrier tracking publishes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from oms.core.outbox import Event

__all__ = ["ShipmentTrackingChanged"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ShipmentTrackingChanged(Event):
    """A parcel's tracking status (its newest scan's) moved: at a hub, out for delivery, …

    Published only for scans at or after the parcel's previous newest one (a late scan from
    the past moves nothing). ``at`` is the scan's own time (ISO 8601).
    """

    topic: ClassVar[str] = "shipment.tracking_changed"
    shipment_id: str
    order_id: str
    carrier: str
    tracking_no: str
    from_status: str | None
    to_status: str
    sub_status: str
    location: str | None
    text: str
    at: str
