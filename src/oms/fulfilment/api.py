"""Shipments over HTTP: warehouse systems report what actually went out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from oms.core.paging import Page, Paging
from oms.fulfilment import documents, service
from oms.fulfilment.schemas import OrderShipmentIn, ShipmentIn, ShipmentOut, TrackingLinkOut
from oms.fulfilment.tracking import buyer
from oms.http.deps import CurrentActor, CurrentPrincipal, Db, requires
from oms.http.problems import problems
from oms.orders.queries import get_order

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["fulfilment"])


@router.post(
    "/shipments",
    status_code=201,
    dependencies=[requires("orders:fulfil")],
    responses=problems(404)
    | {200: {"model": ShipmentOut, "description": "this parcel was already recorded"}},
)
def post_shipment(body: ShipmentIn, actor: CurrentActor, db: Db, response: Response) -> ShipmentOut:
    """Record an outbound shipment; a mismatch opens a ticket instead of shipping the order."""
    shipment, created = service.record_shipment(db, actor, body)
    response.status_code = 201 if created else 200
    return shipment


@router.post(
    "/orders/{order_id}/shipments",
    status_code=201,
    dependencies=[requires("orders:fulfil")],
    responses=problems(404, 409)
    | {200: {"model": ShipmentOut, "description": "this parcel was already recorded"}},
)
def post_order_shipment(
    order_id: str, body: OrderShipmentIn, actor: CurrentActor, db: Db, response: Response
) -> ShipmentOut:
    """Ship some or all lines with a carrier and tracking number (partial: some lines)."""
    shipment, created = service.ship_order(db, actor, order_id, body)
    response.status_code = 201 if created else 200
    return shipment


@router.get(
    "/orders/{order_id}/packing-slip",
    dependencies=[requires("orders:read")],
    responses=problems(404, 503) | {200: {"content": {"application/pdf": {}}}},
    response_class=Response,
)
def read_packing_slip(order_id: str, principal: CurrentPrincipal, db: Db) -> Response:
    """The order's packing slip as PDF (Chinese and English)."""
    pdf = documents.packing_slip_pdf(db, principal.tenant_id, order_id)
    return Response(pdf, media_type="application/pdf")


@router.get(
    "/pick-list",
    dependencies=[requires("orders:read")],
    responses=problems(404, 503) | {200: {"content": {"application/pdf": {}}}},
    response_class=Response,
)
def read_pick_list(
    principal: CurrentPrincipal,
    db: Db,
    order_id: Annotated[list[str], Query(min_length=1, max_length=documents.MAX_WAVE)],
) -> Response:
    """One pick list for a wave of orders (units per warehouse and SKU) as PDF."""
    pdf = documents.pick_list_pdf(db, principal.tenant_id, order_id)
    return Response(pdf, media_type="application/pdf")


@router.get("/orders/{order_id}/shipments", dependencies=[requires("orders:read")])
def read_shipments(
    order_id: str, principal: CurrentPrincipal, db: Db, page: Paging
) -> Page[ShipmentOut]:
    """The order's shipments, oldest first, paged by cursor. Raises ERR_ORDER_NOT_FOUND."""
    get_order(db, principal.tenant_id, order_id)
    return service.list_shipments(db, principal.tenant_id, order_id, page=page)


@router.get(
    "/orders/{order_id}/tracking-link",
    dependencies=[requires("orders:read")],
    responses=problems(404),
)
def read_tracking_link(
    order_id: str, request: Request, principal: CurrentPrincipal, db: Db
) -> TrackingLinkOut:
    """The buyer's public tracking page of the order (a signed link, no login).

    Raises ERR_ORDER_NOT_FOUND."""
    link = buyer.tracking_link(db, principal.tenant_id, order_id)
    url = str(request.base_url).rstrip("/") + link.path
    return TrackingLinkOut(url=url, path=link.path, expires_at=link.expires_at)
