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

from oms.core import outbox
from oms.core.context import Actor
from oms.core.ids import new_id
from oms.core.paging import Page, PageRequest, fetch_items
from oms.core.uow import Database, UnitOfWork
from oms.fulfilment.errors import TrackingNumberReused
from oms.fulfilment.eta import service as eta
from oms.fulfilment.events import ShipmentRecorded
from oms.fulfilment.models import Shipment
from oms.fulfilment.planning import service as planning
from oms.fulfilment.planning.regions import normalise_province
from oms.fulfilment.reconcile import Difference, compare
from oms.fulfilment.schemas import ORDER_ID_MAX_LENGTH, OrderShipmentIn, ShipmentIn, ShipmentOut
from oms.fulfilment.states import ShipmentStatus
from oms.fulfilment.tracking.queries import scans_of
from oms.inventory import queries as stock
from oms.inventory.service import DEFAULT_WAREHOUSE
from oms.orders import service as orders
from oms.orders.errors import FulfilmentBlocked, IllegalTransition, OrderNotFound, StaleEvent
from oms.orders.schemas import OrderEventIn
from oms.orders.states import OrderEvent, OrderStatus, allowed_events
from oms.tickets.service import open_ticket, open_ticket_ids
from oms.tickets.states import TicketKind

__all__ = ["list_shipments", "record_shipment", "ship_order"]


def record_shipment(db: Database, actor: Actor, data: ShipmentIn) -> tuple[ShipmentOut, bool]:
    """Record a shipment; returns it and whether it is new (a re-sent parcel is not).

    A parcel that left the warehouse is a fact: when its ship event is older than a later
    status change (ERR_ORDER_STALE_EVENT), the shipment, the conflict on the timeline and its
    ticket are committed, and only then is the conflict raised.
    Raises: ERR_ORDER_NOT_FOUND, ERR_ORDER_ILLEGAL_TRANSITION (the order cannot ship now),
    ERR_ORDER_FULFILMENT_BLOCKED, ERR_SHIPMENT_TRACKING_REUSED, ERR_ORDER_STALE_EVENT.
    """
    conflict: StaleEvent | None = None
    origin = _warehouse_province(db, actor.tenant_id, data.warehouse)
    with db.uow() as uow:
        existing = _same_parcel(uow, actor.tenant_id, data)
        if existing is not None:
            return _out(existing), False
        order = orders.fulfilment_view(uow, actor.tenant_id, data.order_id)
        _check_can_ship(uow, actor.tenant_id, data.order_id, order.status)
        already = _shipped_lines(uow, actor.tenant_id, data.order_id)
        now_lines = [(line.sku, line.qty) for line in data.lines]
        differences = compare(order.lines, already, now_lines, is_final=data.is_final)
        route = (origin, normalise_province(order.province))
        shipment = _insert(uow, actor, data, differences, route)
        if differences:
            shipment.ticket_id = _open_mismatch_ticket(uow, actor, order.order_no, shipment)
            order_status = order.status
        else:
            complete = not compare(order.lines, [*already, *now_lines], [], is_final=True)
            order_status, conflict = _advance_order(uow, actor, data, order.status, complete)
        out = _out(shipment, order_status)
        uow.commit()
    if conflict is not None:
        raise conflict
    return out, True


def ship_order(
    db: Database, actor: Actor, order_id: str, data: OrderShipmentIn
) -> tuple[ShipmentOut, bool]:
    """Ship some lines of an order: :func:`record_shipment` from the plan's warehouse (else
    the stock hold's, else the default). Raises what :func:`record_shipment` raises."""
    if len(order_id) > ORDER_ID_MAX_LENGTH:
        # No order has such an id: the path names nothing, as an unknown id of any length.
        raise OrderNotFound("no such order", order_id=order_id[:ORDER_ID_MAX_LENGTH])
    warehouse = data.warehouse or _warehouse_for(db, actor.tenant_id, order_id, data)
    shipment = ShipmentIn(
        order_id=order_id, warehouse=warehouse, **data.model_dump(exclude={"warehouse"})
    )
    return record_shipment(db, actor, shipment)


def _warehouse_for(db: Database, tenant_id: str, order_id: str, data: OrderShipmentIn) -> str:
    skus = [line.sku for line in data.lines]
    planned = planning.planned_warehouse(db, tenant_id, order_id, skus)
    if planned is not None:
        return planned
    held = [r.warehouse for r in stock.order_reservations(db, tenant_id, order_id) if r.sku in skus]
    return held[0] if held else DEFAULT_WAREHOUSE


def list_shipments(
    db: Database, tenant_id: str, order_id: str, *, page: PageRequest = PageRequest()
) -> Page[ShipmentOut]:
    """One page of an order's shipments, oldest first, with the ETA windows of the parcels on
    their way (computed on read from the tenant's model)."""
    stmt = select(Shipment).where(Shipment.tenant_id == tenant_id, Shipment.order_id == order_id)
    keys = (Shipment.created_at, Shipment.id)
    with db.reader() as session:
        found = fetch_items(session, stmt, keys, page, _out, scope=f"shipments:{order_id}")
        scans = scans_of(session, tenant_id, [s.id for s in found.items])
        eta.fill_windows(session, tenant_id, found.items, now=db.clock.now())
    for shipment in found.items:
        shipment.scans = scans[shipment.id]
    return found


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
            Shipment.status == ShipmentStatus.ACCEPTED,
        )
    )
    return [(line["sku"], int(line["qty"])) for lines in rows for line in lines]


def _warehouse_province(db: Database, tenant_id: str, code: str) -> str | None:
    found = next((w for w in stock.warehouses(db, tenant_id) if w.code == code), None)
    return normalise_province(found.province) if found is not None else None


def _insert(
    uow: UnitOfWork,
    actor: Actor,
    data: ShipmentIn,
    differences: list[Difference],
    route: tuple[str | None, str | None],
) -> Shipment:
    now = uow.clock.now()
    shipment = Shipment(
        tenant_id=actor.tenant_id,
        id=new_id(),
        order_id=data.order_id,
        warehouse=data.warehouse,
        carrier=data.carrier,
        tracking_no=data.tracking_no,
        status=(ShipmentStatus.MISMATCHED if differences else ShipmentStatus.ACCEPTED).value,
        is_final=data.is_final,
        lines=[line.model_dump() for line in data.lines],
        differences=[asdict(d) for d in differences],
        shipped_at=data.shipped_at or now,
        created_at=now,
        origin_province=route[0],
        destination_province=route[1],
    )
    uow.session.add(shipment)
    uow.session.flush()
    recorded = ShipmentRecorded(
        tenant_id=actor.tenant_id,
        shipment_id=shipment.id,
        order_id=shipment.order_id,
        carrier=shipment.carrier,
        tracking_no=shipment.tracking_no,
    )
    outbox.add(uow, recorded, now=now)
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
        title_code="fulfilment_mismatch",
        title_params={"order_no": order_no},
        details=details,
        now=uow.clock.now(),
    )


def _advance_order(
    uow: UnitOfWork, actor: Actor, data: ShipmentIn, status: str, complete: bool
) -> tuple[str, StaleEvent | None]:
    """Ship (or partially ship) the order; return its status and a conflict to raise after
    the commit. Any other refusal is raised here and rolls the shipment back."""
    event = OrderEvent.SHIP if complete else OrderEvent.PARTIAL_SHIP
    if event == OrderEvent.PARTIAL_SHIP and status == OrderStatus.PARTIALLY_SHIPPED:
        return status, None  # another parcel of an order already on its way
    command = OrderEventIn(
        event=event,
        source=f"wms:{data.warehouse}",
        reason=f"{data.carrier} {data.tracking_no}",
        occurred_at=data.shipped_at,
    )
    result, error = orders.apply_event_in(uow, actor, data.order_id, command)
    if isinstance(error, StaleEvent):
        return str(result.order.status), error
    if error is not None:
        raise error
    return str(result.order.status), None


def _out(shipment: Shipment, order_status: str | None = None) -> ShipmentOut:
    out = ShipmentOut.model_validate(shipment, from_attributes=True)
    out.order_status = order_status
    return out
