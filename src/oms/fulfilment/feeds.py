"""The fulfilment domain's change feed (``core.feeds``): parcels and their carrier status.

A shipment has no update stamp of its own: it changes when it is recorded and when a scan
arrives, so its change time is the later of ``created_at`` and ``last_scan_at``. A
reconciliation decision (a mismatched parcel accepted) reaches the feed with the parcel's next
scan, or with a full export.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, select

from oms.core.feeds import Feed, FeedColumn
from oms.fulfilment.models import Shipment

__all__ = ["FULFILMENT_FEEDS"]

_COLUMNS = (
    FeedColumn("shipment_id", "text"),
    FeedColumn("order_id", "text"),
    FeedColumn("warehouse", "text"),
    FeedColumn("carrier", "text"),
    FeedColumn("tracking_no", "text"),
    FeedColumn("status", "text"),
    FeedColumn("tracking_status", "text"),
    FeedColumn("tracking_sub_status", "text"),
    FeedColumn("shipped_at", "time"),
    FeedColumn("last_scan_at", "time"),
    FeedColumn("eta_from", "time"),
    FeedColumn("eta_to", "time"),
    FeedColumn("created_at", "time"),
)


def _select(tenant_id: str, _now: datetime) -> Select[Any]:
    columns: list[Any] = [
        Shipment.id,
        Shipment.order_id,
        Shipment.warehouse,
        Shipment.carrier,
        Shipment.tracking_no,
        Shipment.status,
        Shipment.tracking_status,
        Shipment.tracking_sub_status,
        Shipment.shipped_at,
        Shipment.last_scan_at,
        Shipment.eta_from,
        Shipment.eta_to,
        Shipment.created_at,
    ]
    return select(*columns).where(Shipment.tenant_id == tenant_id)


def _changed(_now: datetime) -> ColumnElement[datetime]:
    scanned_later = Shipment.last_scan_at > Shipment.created_at
    return case((scanned_later, Shipment.last_scan_at), else_=Shipment.created_at)


FULFILMENT_FEEDS = (
    Feed(
        name="shipments",
        description="parcels: carrier, tracking number, carrier status, newest scan, ETA",
        columns=_COLUMNS,
        select=_select,
        changed=_changed,
        keys=(Shipment.id.expression,),
        dated=Shipment.shipped_at.expression,
        shape=tuple,
    ),
)
