"""Alert routes over HTTP (admin)."""

from __future__ import annotations

from fastapi import APIRouter

from oms.alerts import service
from oms.alerts.schemas import RouteOut, RoutesIn
from oms.http.deps import AppSettings, CurrentPrincipal, Db, requires

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
def get_routes(principal: CurrentPrincipal, db: Db) -> list[RouteOut]:
    """The routing table, destinations masked."""
    return service.list_routes(db, principal.tenant_id)
