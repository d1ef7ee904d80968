"""What a buyer sees of an order: its steps, its history in buyer words, its parcels.

Used by the public tracking page (``/track/{token}``) and the console order page's progress
bar. The history is the customer side of the order's provenance timeline: only applied
changes that a buyer knows (placed, paid, shipped, delivered, completed), each with its time
and a buyer-safe source (``shop``, ``payment``, ``warehouse``, ``carrier``, ``merchant``).
Refusals, conflicts, holds, actors, IPs, user agents, reasons and notes never leave oms.
oms records no separate packing step; a parcel is "shipped" when its warehouse reports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from oms.core.errors import AppError
from oms.core.models import Tenant
from oms.core.uow import Database
from oms.fulfilment import service as shipments
from oms.fulfilment.schemas import ShipmentOut
from oms.fulfilment.tracking.links import link_path, make_link_token, read_link_token
from oms.fulfilment.tracking.normalise import TrackingStatus
from oms.orders import queries as orders
from oms.orders.schemas import TimelineEntry

__all__ = [
    "STEPS",
    "BuyerEvent",
    "BuyerView",
    "TrackingLink",
    "buyer_history",
    "buyer_view",
    "current_step",
    "tracking_link",
    "tracking_page",
]

#: The progress bar, in order.
STEPS = ("placed", "paid", "shipped", "in_transit", "out_for_delivery", "delivered")
_STATUS_EVENT = {
    "paid": "paid",
    "partially_shipped": "shipped",
    "shipped": "shipped",
    "delivered": "delivered",
    "completed": "completed",
}
_TRACKING_STEP = {
    TrackingStatus.INFO_RECEIVED: "shipped",
    TrackingStatus.IN_TRANSIT: "in_transit",
    TrackingStatus.AT_HUB: "in_transit",
    TrackingStatus.OUT_FOR_DELIVERY: "out_for_delivery",
    TrackingStatus.AVAILABLE_FOR_PICKUP: "out_for_delivery",
    TrackingStatus.ATTEMPT_FAILED: "out_for_delivery",
    TrackingStatus.DELIVERED: "delivered",
}


@dataclass(frozen=True, slots=True)
class BuyerEvent:
    """One change the buyer may see: ``kind`` among placed/paid/shipped/delivered/completed,
    ``source`` among shop/payment/warehouse/carrier/merchant."""

    kind: str
    at: datetime
    source: str


@dataclass(frozen=True, slots=True)
class BuyerView:
    order_id: str
    order_no: str
    tenant_id: str
    history: list[BuyerEvent]
    shipments: list[ShipmentOut]
    step: str
    now: datetime
    timezone: str
    steps: tuple[str, ...] = field(default=STEPS)


def _source(source: str | None, event: str) -> str:
    kind, _, _ = (source or "").partition(":")
    if kind == "carrier":
        return "carrier"
    if kind == "wms":
        return "warehouse"
    if kind == "channel":
        return "payment" if event == "pay" else "shop"
    if kind in {"gateway", "payment", "payments"}:
        return "payment"
    return "merchant"


def buyer_history(timeline: Sequence[TimelineEntry]) -> list[BuyerEvent]:
    """The applied changes a buyer knows, oldest first, in buyer words."""
    found = []
    for entry in timeline:
        if entry.outcome != "applied":
            continue
        kind = "placed" if entry.event == "create" else _STATUS_EVENT.get(entry.to_status or "")
        if kind is None or (entry.from_status == entry.to_status and kind != "placed"):
            continue
        found.append(
            BuyerEvent(
                kind, entry.occurred_at or entry.recorded_at, _source(entry.source, entry.event)
            )
        )
    return found


def current_step(history: Sequence[BuyerEvent], parcels: Sequence[ShipmentOut]) -> str:
    """The furthest step the order has reached (the least advanced parcel counts)."""
    reached = {event.kind for event in history}
    step = "placed"
    for name in ("paid", "shipped"):
        if name in reached:
            step = name
    accepted = [p for p in parcels if p.status == "accepted"]
    if accepted:
        step = min((_parcel_step(p) for p in accepted), key=STEPS.index)
    if "delivered" in reached or "completed" in reached:
        step = "delivered"
    return step


def _parcel_step(parcel: ShipmentOut) -> str:
    """A parcel's step; no scan yet, or returning, exception and the like: shipped."""
    try:
        return _TRACKING_STEP.get(TrackingStatus(parcel.tracking_status or ""), "shipped")
    except ValueError:
        return "shipped"


def buyer_view(db: Database, tenant_id: str, order_id: str) -> BuyerView:
    """The order as its buyer sees it. Raises: ERR_ORDER_NOT_FOUND (also another tenant's)."""
    order = orders.get_order(db, tenant_id, order_id)
    history = buyer_history(orders.order_timeline(db, tenant_id, order_id))
    parcels = shipments.list_shipments(db, tenant_id, order_id).items
    return BuyerView(
        order.id,
        order.order_no,
        tenant_id,
        history,
        parcels,
        current_step(history, parcels),
        db.clock.now(),
        _timezone(db, tenant_id),
    )


def _timezone(db: Database, tenant_id: str) -> str:
    with db.reader() as session:
        tenant = session.get(Tenant, tenant_id)
    return tenant.timezone if tenant is not None else "Asia/Shanghai"


def tracking_page(db: Database, token: str) -> BuyerView | None:
    """The view behind a tracking link; None for a forged, tampered, expired or dead link."""
    claims = read_link_token(token, now=db.clock.now())
    if claims is None:
        return None
    try:
        return buyer_view(db, claims.tenant_id, claims.order_id)
    except AppError:  # the order (or tenant) is gone: the link names nothing
        return None


@dataclass(frozen=True, slots=True)
class TrackingLink:
    path: str
    token: str
    expires_at: datetime


def tracking_link(db: Database, tenant_id: str, order_id: str) -> TrackingLink:
    """The buyer's tracking link of an order (valid ``links.LINK_TTL``).

    Raises: ERR_ORDER_NOT_FOUND (also another tenant's).
    """
    orders.get_order(db, tenant_id, order_id[:64])
    token, expires_at = make_link_token(tenant_id, order_id, now=db.clock.now())
    return TrackingLink(link_path(token), token, expires_at)
