"""What new scans cause: the order delivered, a return or exception ticket, a stall resolved.

Operations in the caller's unit of work. A scan is a fact the carrier already made: when the
order refuses the ``deliver`` it implies (stale, or not shipped in full yet), the refusal
is recorded on the order's timeline by the orders domain and the scan stays stored.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from oms.core.context import Actor
from oms.core.uow import UnitOfWork
from oms.fulfilment.models import Shipment
from oms.fulfilment.states import ShipmentStatus
from oms.fulfilment.tracking.normalise import Normalised, TrackingStatus, opens_exception
from oms.orders import service as orders
from oms.orders.schemas import OrderEventIn
from oms.orders.states import OrderEvent
from oms.tickets.service import open_ticket, resolve_for_order
from oms.tickets.states import TicketKind

__all__ = ["carrier_actor", "on_new_scans"]

_RETURNS = frozenset({TrackingStatus.RETURNING, TrackingStatus.RETURNED})
_EXCEPTION, _RETURNED = TicketKind.DELIVERY_EXCEPTION, TicketKind.DELIVERY_RETURNED


def carrier_actor(tenant_id: str, carrier: str) -> Actor:
    """Who acts when a carrier's scan moves an order: ``carrier:<name>``."""
    return Actor(tenant_id, f"carrier:{carrier}", "integration")


def on_new_scans(
    uow: UnitOfWork,
    shipment: Shipment,
    scheme: str,
    new: list[Normalised],
    *,
    was_delivered: bool,
) -> dict[str, Any]:
    """Apply the effects of ``new`` scans (already stored) to ``shipment``'s order."""
    actor = carrier_actor(shipment.tenant_id, shipment.carrier)
    now = uow.clock.now()
    effects: dict[str, Any] = {}
    resolved = resolve_for_order(
        uow,
        actor,
        order_id=shipment.order_id,
        kind=TicketKind.DELIVERY_STALLED,
        code="scans_resumed",
        params={"carrier": shipment.carrier, "tracking_no": shipment.tracking_no},
        now=now,
    )
    if resolved:
        effects["stall_resolved"] = resolved
    # A parcel already delivered needs no intervention for a problem earlier in its trace
    # (a first Kuaidi100 snapshot carries the whole history).
    delivered = shipment.tracking_status == TrackingStatus.DELIVERED
    for scan in [] if delivered else new:
        if opens_exception(scheme, scan):
            effects["exception_ticket"] = _ticket(uow, shipment, _EXCEPTION, scan)
        if scan.status in _RETURNS:
            effects["return_ticket"] = _ticket(uow, shipment, _RETURNED, scan)
    if shipment.tracking_status == TrackingStatus.DELIVERED and not was_delivered:
        effects |= _deliver(uow, actor, shipment)
    return effects


def _ticket(uow: UnitOfWork, shipment: Shipment, kind: TicketKind, scan: Normalised) -> str:
    return open_ticket(
        uow,
        tenant_id=shipment.tenant_id,
        kind=kind,
        order_id=shipment.order_id,
        assignee_role="ops",
        # The kinds (delivery_exception, delivery_returned) are title codes of their own.
        title_code=kind.value,
        title_params={"carrier": shipment.carrier, "tracking_no": shipment.tracking_no},
        details={
            "shipment_id": shipment.id,
            "carrier": shipment.carrier,
            "tracking_no": shipment.tracking_no,
            "tracking_status": str(scan.status),
            "tracking_sub_status": scan.sub_status,
            "raw_code": scan.raw_code,
        },
        now=uow.clock.now(),
    )


def _deliver(uow: UnitOfWork, actor: Actor, shipment: Shipment) -> dict[str, Any]:
    """Deliver the order once every accepted parcel of it is delivered."""
    pending = uow.session.scalars(
        select(Shipment.id).where(
            Shipment.tenant_id == shipment.tenant_id,
            Shipment.order_id == shipment.order_id,
            Shipment.status == ShipmentStatus.ACCEPTED,
            Shipment.id != shipment.id,
            (Shipment.tracking_status != TrackingStatus.DELIVERED)
            | Shipment.tracking_status.is_(None),
        )
    ).first()
    if pending is not None:
        return {"deliver": "waiting_for_other_parcels"}
    command = OrderEventIn(
        event=OrderEvent.DELIVER,
        source=f"carrier:{shipment.carrier}"[:128],
        reason=f"{shipment.tracking_no} {shipment.raw_code}",
        occurred_at=shipment.last_scan_at,
    )
    result, error = orders.apply_event_in(uow, actor, shipment.order_id, command)
    if error is not None:
        # Recorded on the timeline (a stale one opens a status_conflict ticket); not raised:
        # the carrier's scan is kept whatever the order says.
        return {"deliver": "refused", "deliver_error": error.code}
    return {"deliver": "applied", "order_status": str(result.order.status)}
