"""Alert routes over HTTP (admin)."""

from __future__ import annotations

from fastapi import APIRouter

from oms.alerts import low_stock, service
from oms.alerts.low_stock import LowStockRuleIn, LowStockRuleOut
from oms.alerts.schemas import RouteOut, RoutesIn
from oms.core.paging import Page, Paging
from oms.http.deps import AppSettings, CurrentActor, CurrentPrincipal, Db, requires

__all__ = ["router"]

# Only admins route alerts (the permission is registered by the domain that uses it).
MANAGE = [requires("alerts:manage")]

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])


@router.put("/routes", dependencies=MANAGE)
def put_routes(
    body: RoutesIn, principal: CurrentPrincipal, db: Db, settings: AppSettings
) -> list[RouteOut]:
    """Replace the tenant's whole routing table; secrets are sealed and never returned."""
    allow_private = settings.webhook_allow_private_networks
    return service.replace_routes(db, principal.tenant_id, body.routes, allow_private=allow_private)


@router.get("/routes", dependencies=MANAGE)
def get_routes(principal: CurrentPrincipal, db: Db, page: Paging) -> Page[RouteOut]:
    """The routing table, oldest route first, destinations masked, paged by cursor."""
    return service.route_page(db, principal.tenant_id, page=page)


@router.put("/low-stock", dependencies=MANAGE)
def put_low_stock_rule(body: LowStockRuleIn, actor: CurrentActor, db: Db) -> LowStockRuleOut:
    """Set the tenant's low-stock rule (threshold and alert route); the sweep evaluates it."""
    return low_stock.set_low_stock_rule(db, actor, body)


@router.get("/low-stock", dependencies=MANAGE)
def get_low_stock_rule(principal: CurrentPrincipal, db: Db) -> LowStockRuleOut | None:
    """The tenant's low-stock rule, or null when it has none."""
    return low_stock.get_low_stock_rule(db, principal.tenant_id)
