"""Shipments from warehouse systems: reconcile each with its order, then ship or open a ticket.

A shipment that matches what the order still needs moves the order to partially_shipped or
shipped in the same transaction. One that does not (a missing, extra, wrong-SKU or
wrong-quantity line) is kept as ``mismatched`` with an exception ticket for the warehouse,
and the order cannot ship until the ticket is resolved.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import select

from oms.core.context import Actor
from oms.core.ids import new_id
from oms.core.uow import Database, UnitOfWork
from oms.fulfillment.errors import TrackingNumberReused
from oms.fulfillment.models import Shipment
from oms.fulfillment.reconcile import Difference, compare
from oms.fulfillment.schemas import ShipmentIn, ShipmentOut
from oms.orders import service as orders
from oms.orders.errors import FulfilmentBlocked, IllegalTransition
from oms.orders.schemas import OrderEventIn
from oms.orders.states import OrderEvent, OrderStatus, allowed_events
from oms.tickets.service import open_ticket, open_ticket_ids
from oms.tickets.states import TicketKind

__all__ = ["list_shipments", "record_shipment"]

_ACCEPTED, _MISMATCHED = "accepted", "mismatched"


def record_shipment(db: Database, actor: Actor, data: ShipmentIn) -> tuple[ShipmentOut, bool]:
    """Record a shipment; returns it and whether it is new (a re-sent parcel is not).

    Raises: ERR_ORDER_NOT_FOUND, ERR_ORDER_ILLEGAL_TRANSITION (the order cannot ship now),
    ERR_ORDER_FULFILMENT_BLOCKED, ERR_SHIPMENT_TRACKING_REUSED.
    """
    with db.uow() as uow:
        existing = _same_parcel(uow, actor.tenant_id, data)
        if existing is not None:
            return _out(existing), False
        order = orders.fulfilment_view(uow, actor.tenant_id, data.order_id)
        _check_can_ship(uow, actor.tenant_id, data.order_id, order.status)
        already = _shipped_lines(uow, actor.tenant_id, data.order_id)
        now_lines = [(line.sku, line.qty) for line in data.lines]
        differences = compare(order.lines, already, now_lines, is_final=data.is_final)
        shipment = _insert(uow, actor, data, differences)
        if differences:
            shipment.ticket_id = _open_mismatch_ticket(uow, actor, order.order_no, shipment)
            order_status = order.status
        else:
            complete = not compare(order.lines, [*already, *now_lines], [], is_final=True)
            order_status = _advance_order(uow, actor, data, order.status, complete)
        out = _out(shipment, order_status)
        uow.commit()
    return out, True


def list_shipments(db: Database, tenant_id: str, order_id: str) -> list[ShipmentOut]:
    """An order's shipments, oldest first."""
    stmt = (
        select(Shipment)
        .where(Shipment.tenant_id == tenant_id, Shipment.order_id == order_id)
        .order_by(Shipment.created_at, Shipment.id)
    )
    with db.reader() as session:
        return [_out(s) for s in session.scalars(stmt)]


def _same_parcel(uow: UnitOfWork, tenant_id: str, data: ShipmentIn) -> Shipment | None:
    found = uow.session.scalars(
        select(Shipment).where(
            Shipment.tenant_id == tenant_id,
            Shipment.carrier == data.carrier,
            Shipment.tracking_no == data.tracking_no,
        )
    ).first()
    if found is not None and found.order_id != data.order_id:
        raise TrackingNumberReused(
            tracking_no=data.tracking_no, carrier=data.carrier, order_id=found.order_id
        )
    return found


def _check_can_ship(uow: UnitOfWork, tenant_id: str, order_id: str, status: str) -> None:
    current = OrderStatus(status)
    if OrderEvent.SHIP not in allowed_events(current):
        raise IllegalTransition(
            f"an order that is {status} cannot ship", event="ship", current_status=status
        )
    blocking = open_ticket_ids(uow, tenant_id, order_id, TicketKind.FULFILMENT_MISMATCH)
    if blocking:
        raise FulfilmentBlocked(
            "resolve the fulfilment exception ticket first", ticket_ids=blocking
        )


def _shipped_lines(uow: UnitOfWork, tenant_id: str, order_id: str) -> list[tuple[str, int]]:
    rows = uow.session.scalars(
        select(Shipment.lines).where(
            Shipment.tenant_id == tenant_id,
            Shipment.order_id == order_id,
            Shipment.status == _ACCEPTED,
        )
    )
    return [(line["sku"], int(line["qty"])) for lines in rows for line in lines]


def _insert(
    uow: UnitOfWork, actor: Actor, data: ShipmentIn, differences: list[Difference]
) -> Shipment:
    now = uow.clock.now()
    shipment = Shipment(
        tenant_id=actor.tenant_id,
        id=new_id(),
        order_id=data.order_id,
        warehouse=data.warehouse,
        carrier=data.carrier,
        tracking_no=data.tracking_no,
        status=_MISMATCHED if differences else _ACCEPTED,
        is_final=data.is_final,
        lines=[line.model_dump() for line in data.lines],
        differences=[asdict(d) for d in differences],
        shipped_at=data.shipped_at or now,
        created_at=now,
    )
    uow.session.add(shipment)
    uow.session.flush()
    return shipment


def _open_mismatch_ticket(uow: UnitOfWork, actor: Actor, order_no: str, shipment: Shipment) -> str:
    details: dict[str, Any] = {
        "shipment_id": shipment.id,
        "carrier": shipment.carrier,
        "tracking_no": shipment.tracking_no,
        "warehouse": shipment.warehouse,
        "differences": shipment.differences,
        "wrong_sku": {d["kind"] for d in shipment.differences} >= {"extra_line", "missing_line"},
    }
    return open_ticket(
        uow,
        tenant_id=actor.tenant_id,
        kind=TicketKind.FULFILMENT_MISMATCH,
        order_id=shipment.order_id,
        assignee_role="warehouse",
        title=f"订单 {order_no} 出库与订单不符 / shipment does not match order {order_no}",
        details=details,
        now=uow.clock.now(),
    )


def _advance_order(
    uow: UnitOfWork, actor: Actor, data: ShipmentIn, status: str, complete: bool
) -> str:
    event = OrderEvent.SHIP if complete else OrderEvent.PARTIAL_SHIP
    if event == OrderEvent.PARTIAL_SHIP and status == OrderStatus.PARTIALLY_SHIPPED:
        return status  # another parcel of an order already on its way
    command = OrderEventIn(
        event=event,
        source=f"wms:{data.warehouse}",
        reason=f"{data.carrier} {data.tracking_no}",
        occurred_at=data.shipped_at,
    )
    result, error = orders.apply_event_in(uow, actor, data.order_id, command)
    if error is not None:
        raise error
    return str(result.order.status)


def _out(shipment: Shipment, order_status: str | None = None) -> ShipmentOut:
    out = ShipmentOut.model_validate(shipment, from_attributes=True)
    out.order_status = order_status
    return out
