"""Carriers and SKU handling attributes over HTTP (what fulfilment plans are made of)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from oms.core.paging import Page, Paging
from oms.fulfilment import carriers
from oms.fulfilment.carrier_schemas import CarrierIn, CarrierOut, SkuAttributesIn, SkuAttributesOut
from oms.http.deps import CurrentActor, CurrentPrincipal, Db, requires
from oms.http.problems import problems

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["fulfilment"])
CarrierCode = Annotated[str, Path(pattern=r"^[a-z][a-z0-9]{1,31}$")]
Sku = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/carriers", dependencies=[requires("stock:read")])
def list_carriers(principal: CurrentPrincipal, db: Db, page: Paging) -> Page[CarrierOut]:
    """The tenant's carriers, best tier first; the built-in set until the tenant writes."""
    return carriers.carrier_page(db, principal.tenant_id, page=page)


@router.post(
    "/carriers", status_code=201, dependencies=[requires("stock:write")], responses=problems(409)
)
def post_carrier(body: CarrierIn, actor: CurrentActor, db: Db) -> CarrierOut:
    """Add a carrier (Kuaidi100 code) with its services, capabilities, regions and costs."""
    return carriers.create_carrier(db, actor, body)


@router.get("/carriers/{code}", dependencies=[requires("stock:read")], responses=problems(404))
def read_carrier(code: CarrierCode, principal: CurrentPrincipal, db: Db) -> CarrierOut:
    """One carrier."""
    return carriers.get_carrier(db, principal.tenant_id, code)


@router.put("/carriers/{code}", dependencies=[requires("stock:write")], responses=problems(404))
def put_carrier(code: CarrierCode, body: CarrierIn, actor: CurrentActor, db: Db) -> CarrierOut:
    """Replace a carrier's settings (the body's code is the path's)."""
    return carriers.replace_carrier(db, actor, code, body)


@router.delete(
    "/carriers/{code}",
    status_code=204,
    dependencies=[requires("stock:write")],
    responses=problems(404),
)
def delete_carrier(code: CarrierCode, actor: CurrentActor, db: Db) -> None:
    """Stop planning with a carrier (its record stays for the shipments that name it)."""
    carriers.disable_carrier(db, actor, code)


@router.get("/stock/{sku}/attributes", dependencies=[requires("stock:read")])
def read_sku_attributes(sku: Sku, principal: CurrentPrincipal, db: Db) -> SkuAttributesOut:
    """How the SKU ships: handling needs and unit weight."""
    return carriers.get_sku_attributes(db, principal.tenant_id, sku)


@router.put("/stock/{sku}/attributes", dependencies=[requires("stock:write")])
def put_sku_attributes(
    sku: Sku, body: SkuAttributesIn, actor: CurrentActor, db: Db
) -> SkuAttributesOut:
    """Set the SKU's handling needs (cold_chain, installation, bulky, fragile, hazardous)
    and unit weight in grams."""
    return carriers.set_sku_attributes(db, actor, sku, body)
