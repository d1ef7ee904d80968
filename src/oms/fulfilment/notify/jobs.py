"""Notification triggers and the send job, registered by jobs_wiring.

Nodes come from events that already exist: the order's status (shipped, delivered), the
parcel's tracking status (packed = ``info_received``, at_hub, out_for_delivery,
available_for_pickup) and the tickets carrier tracking opens (delivery_stalled,
delivery_exception, whose ``alert.raised`` carries the order).
"""

from __future__ import annotations

from functools import partial

from oms.alerts.events import AlertRaised
from oms.config import Settings
from oms.core.jobs import JobRegistry, JobRun
from oms.core.uow import Database
from oms.fulfilment.notify.dispatch import notify, send_message
from oms.fulfilment.notify.events import NotificationDue
from oms.fulfilment.notify.schemas import Node
from oms.fulfilment.notify.variables import Trigger
from oms.fulfilment.tracking.events import ShipmentTrackingChanged
from oms.orders.events import OrderStatusChanged

__all__ = ["ORDER_NODES", "TICKET_NODES", "TRACKING_NODES", "register"]

ORDER_NODES = {"shipped": Node.SHIPPED, "delivered": Node.DELIVERED}
TRACKING_NODES = {
    "info_received": Node.PACKED,
    "at_hub": Node.AT_HUB,
    "out_for_delivery": Node.OUT_FOR_DELIVERY,
    "available_for_pickup": Node.AVAILABLE_FOR_PICKUP,
}
TICKET_NODES = {
    "ticket.delivery_stalled": Node.STALLED,
    "ticket.delivery_exception": Node.EXCEPTION,
}


def _order_changed(db: Database, event: OrderStatusChanged, run: JobRun) -> None:
    node = ORDER_NODES.get(event.to_status)
    if node is not None:
        notify(db, event.tenant_id, Trigger(str(node), run.id, event.order_id))


def _tracking_changed(db: Database, event: ShipmentTrackingChanged, run: JobRun) -> None:
    node = TRACKING_NODES.get(event.to_status)
    if node is None:
        return
    scan = {
        "status": event.to_status,
        "sub_status": event.sub_status,
        "location": event.location,
        "text": event.text,
        "at": event.at,
    }
    notify(db, event.tenant_id, Trigger(str(node), run.id, event.order_id, event.shipment_id, scan))


def _ticket_opened(db: Database, event: AlertRaised, run: JobRun) -> None:
    node = TICKET_NODES.get(event.type)
    order_id = event.details.get("order_id")
    if node is not None and isinstance(order_id, str):
        notify(db, event.tenant_id, Trigger(str(node), run.id, order_id))


def register(registry: JobRegistry, settings: Settings) -> None:
    """The triggers (subscribers) and the send job (``notification.send``)."""
    registry.subscribe(OrderStatusChanged, "notifications", _order_changed)
    registry.subscribe(ShipmentTrackingChanged, "notifications", _tracking_changed)
    registry.subscribe(AlertRaised, "notifications", _ticket_opened)
    registry.handle(NotificationDue, partial(send_message, settings=settings))
