"""Stock over HTTP: warehouses, movements, levels, the ledger, an order's holds."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from oms.http.deps import CurrentActor, CurrentPrincipal, Db, requires
from oms.inventory import queries, service
from oms.inventory.queries import LevelCache
from oms.inventory.schemas import (
    BucketsIn,
    LedgerOut,
    MovementIn,
    MovementOut,
    ReservationOut,
    SafetyStockIn,
    StockLevel,
    WarehouseIn,
    WarehouseOut,
)
from oms.orders.queries import get_order

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["stock"])


def _cache(request: Request) -> LevelCache:
    cache: LevelCache = request.app.state.stock_cache
    return cache


@router.get("/warehouses", dependencies=[requires("stock:read")])
def list_warehouses(principal: CurrentPrincipal, db: Db) -> list[WarehouseOut]:
    """Warehouses in the order reservations try them."""
    return queries.warehouses(db, principal.tenant_id)


@router.post("/warehouses", status_code=201, dependencies=[requires("stock:write")])
def create_warehouse(body: WarehouseIn, actor: CurrentActor, db: Db) -> WarehouseOut:
    """Add a warehouse; lower priority numbers are reserved from first."""
    return service.create_warehouse(db, actor, body)


@router.post("/stock/movements", status_code=201, dependencies=[requires("stock:write")])
def post_movement(body: MovementIn, actor: CurrentActor, db: Db) -> MovementOut:
    """Inbound, adjustment (signed), deduct, return or correction; ``expected_version`` CAS."""
    return service.record_movement(db, actor, body)


@router.put("/stock/{sku}/safety-stock", status_code=204, dependencies=[requires("stock:write")])
def put_safety_stock(sku: str, body: SafetyStockIn, actor: CurrentActor, db: Db) -> None:
    """Hold units back from sale."""
    service.set_safety_stock(db, actor, sku, body)


@router.post("/stock/{sku}/buckets", dependencies=[requires("stock:write")])
def post_buckets(sku: str, body: BucketsIn, actor: CurrentActor, db: Db) -> StockLevel:
    """Split a hot SKU's stock in a warehouse into buckets (flash sales)."""
    return service.split_into_buckets(db, actor, sku, warehouse=body.warehouse, count=body.count)


@router.get("/stock", dependencies=[requires("stock:read")])
def batch_levels(
    principal: CurrentPrincipal,
    db: Db,
    request: Request,
    sku: Annotated[list[str], Query(min_length=1, max_length=200)],
) -> list[StockLevel]:
    """Levels of many SKUs at once (cached for ``OMS_STOCK_CACHE_SECONDS``)."""
    return queries.stock_levels(db, principal.tenant_id, sku, cache=_cache(request))


@router.get("/stock/{sku}", dependencies=[requires("stock:read")])
def read_level(sku: str, principal: CurrentPrincipal, db: Db, request: Request) -> StockLevel:
    """On hand, reserved and available, in total and per warehouse (cached briefly)."""
    return queries.stock_levels(db, principal.tenant_id, [sku], cache=_cache(request))[0]


@router.get("/stock/{sku}/ledger", dependencies=[requires("stock:read")])
def read_ledger(
    sku: str,
    principal: CurrentPrincipal,
    db: Db,
    warehouse: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[LedgerOut]:
    """The SKU's movements, newest first."""
    return queries.ledger(db, principal.tenant_id, sku, warehouse=warehouse, limit=limit)


@router.get("/orders/{order_id}/reservations", dependencies=[requires("orders:read")])
def read_reservations(order_id: str, principal: CurrentPrincipal, db: Db) -> list[ReservationOut]:
    """The order's stock holds and what became of them. Raises ERR_ORDER_NOT_FOUND."""
    get_order(db, principal.tenant_id, order_id)
    return queries.order_reservations(db, principal.tenant_id, order_id)
