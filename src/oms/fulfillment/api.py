"""Shipments over HTTP: warehouse systems report what actually went out."""

from __future__ import annotations

from fastapi import APIRouter, Response

from oms.fulfillment import service
from oms.fulfillment.schemas import ShipmentIn, ShipmentOut
from oms.http.deps import CurrentActor, CurrentPrincipal, Db, requires
from oms.orders.queries import get_order

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["fulfilment"])


@router.post(
    "/shipments",
    status_code=201,
    dependencies=[requires("orders:fulfil")],
    responses={200: {"model": ShipmentOut, "description": "this parcel was already recorded"}},
)
def post_shipment(body: ShipmentIn, actor: CurrentActor, db: Db, response: Response) -> ShipmentOut:
    """Record an outbound shipment; a mismatch opens a ticket instead of shipping the order."""
    shipment, created = service.record_shipment(db, actor, body)
    response.status_code = 201 if created else 200
    return shipment


@router.get("/orders/{order_id}/shipments", dependencies=[requires("orders:read")])
def read_shipments(order_id: str, principal: CurrentPrincipal, db: Db) -> list[ShipmentOut]:
    """The order's shipments, oldest first. Raises ERR_ORDER_NOT_FOUND."""
    get_order(db, principal.tenant_id, order_id)
    return service.list_shipments(db, principal.tenant_id, order_id)
