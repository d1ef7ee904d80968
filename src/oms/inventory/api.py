"""Stock over HTTP: warehouses, movements, levels, the ledger.

An order's holds (``GET /api/v1/orders/{id}/reservations``) are served by orders' routes: the
order is checked there, and inventory never imports orders.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from oms.core.paging import Page, Paging
from oms.http.deps import CurrentActor, CurrentPrincipal, Db, requires
from oms.http.problems import problems
from oms.inventory import queries, service
from oms.inventory.queries import LevelCache
from oms.inventory.schemas import (
    BucketsIn,
    LedgerOut,
    MovementBatchIn,
    MovementBatchOut,
    MovementBatchResult,
    MovementIn,
    MovementOut,
    SafetyStockIn,
    StockLevel,
    TrackingIn,
    WarehouseIn,
    WarehouseLocationIn,
    WarehouseOut,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["stock"])


def _cache(request: Request) -> LevelCache:
    cache: LevelCache = request.app.state.stock_cache
    return cache


@router.get("/warehouses", dependencies=[requires("stock:read")])
def list_warehouses(principal: CurrentPrincipal, db: Db, page: Paging) -> Page[WarehouseOut]:
    """Warehouses in the order reservations try them, paged by cursor."""
    return queries.warehouse_page(db, principal.tenant_id, page=page)


@router.post("/warehouses", status_code=201, dependencies=[requires("stock:write")])
def create_warehouse(body: WarehouseIn, actor: CurrentActor, db: Db) -> WarehouseOut:
    """Add a warehouse; lower priority numbers are reserved from first."""
    return service.create_warehouse(db, actor, body)


@router.put(
    "/warehouses/{code}/location", dependencies=[requires("stock:write")], responses=problems(404)
)
def put_warehouse_location(
    code: str, body: WarehouseLocationIn, actor: CurrentActor, db: Db
) -> WarehouseOut:
    """Say where the warehouse is: fulfilment plans ship from its province."""
    return service.set_warehouse_location(db, actor, code, body)


@router.post(
    "/stock/movements",
    status_code=201,
    dependencies=[requires("stock:write")],
    responses=problems(404),
)
def post_movement(body: MovementIn, actor: CurrentActor, db: Db) -> MovementOut:
    """Inbound, adjustment (signed), deduct, return or correction; ``expected_version`` CAS."""
    return service.record_movement(db, actor, body)


@router.post(
    "/stock/movements/batch",
    dependencies=[requires("stock:write")],
    response_model_exclude_none=True,
)
def post_movements(body: MovementBatchIn, actor: CurrentActor, db: Db) -> MovementBatchOut:
    """Post up to 500 movements, each on its own exactly as ``POST /stock/movements``; per
    item, in order: 201 and its ledger id, or the error's status and code."""
    results = service.record_movements(db, actor, body.movements)
    return MovementBatchOut(
        results=[
            MovementBatchResult(index=r.index, status=r.status, ledger_id=r.id, code=r.code)
            for r in results
        ]
    )


@router.put(
    "/stock/{sku}/safety-stock",
    status_code=204,
    dependencies=[requires("stock:write")],
    responses=problems(409),
)
def put_safety_stock(sku: str, body: SafetyStockIn, actor: CurrentActor, db: Db) -> None:
    """Hold units back from sale."""
    service.set_safety_stock(db, actor, sku, body)


@router.put("/stock/{sku}/tracking", dependencies=[requires("stock:write")])
def put_tracking(
    sku: Annotated[str, Path(min_length=1, max_length=64)],
    body: TrackingIn,
    actor: CurrentActor,
    db: Db,
) -> StockLevel:
    """Count the SKU's stock, or not (``{"tracked": false}``: services, vouchers, gift cards)."""
    return service.set_tracking(db, actor, sku, body)


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
    page: Paging,
    warehouse: str | None = None,
) -> Page[LedgerOut]:
    """The SKU's movements, newest first, paged by cursor."""
    return queries.ledger_page(db, principal.tenant_id, sku, warehouse=warehouse, page=page)
