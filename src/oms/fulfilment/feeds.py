"""The fulfilment domain's change feed (``core.feeds``): parcels and their carrier status.

A shipment has no update stamp of its own: it changes when it is recorded and when a scan
arrives, so its change time is the later of ``created_at`` and ``last_scan_at``. A
reconciliation decision (a mismatched parcel accepted) reaches the feed with the parcel's next
scan, or with a full export.
"""

from __future__ import annotations

from sqlalchemy import case

from oms.core.feeds import Feed, FeedColumn, of_tenant
from oms.fulfilment.models import Shipment

__all__ = ["FULFILMENT_FEEDS"]


_SCANNED_LATER = Shipment.last_scan_at > Shipment.created_at

FULFILMENT_FEEDS = (
    Feed(
        name="shipments",
        description="parcels: carrier, tracking number, carrier status, newest scan, ETA",
        columns=(
            FeedColumn("shipment_id", "text", Shipment.id),
            FeedColumn("order_id", "text", Shipment.order_id),
            FeedColumn("warehouse", "text", Shipment.warehouse),
            FeedColumn("carrier", "text", Shipment.carrier),
            FeedColumn("tracking_no", "text", Shipment.tracking_no),
            FeedColumn("status", "text", Shipment.status),
            FeedColumn("tracking_status", "text", Shipment.tracking_status),
            FeedColumn("tracking_sub_status", "text", Shipment.tracking_sub_status),
            FeedColumn("shipped_at", "time", Shipment.shipped_at),
            FeedColumn("last_scan_at", "time", Shipment.last_scan_at),
            FeedColumn("eta_from", "time", Shipment.eta_from),
            FeedColumn("eta_to", "time", Shipment.eta_to),
            FeedColumn("created_at", "time", Shipment.created_at),
        ),
        scope=of_tenant(Shipment.tenant_id),
        changed=case((_SCANNED_LATER, Shipment.last_scan_at), else_=Shipment.created_at),
        keys=(Shipment.id,),
        dated=Shipment.shipped_at,
    ),
)
