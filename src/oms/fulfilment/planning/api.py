"""Fulfilment plans over HTTP."""

from __future__ import annotations

from fastapi import APIRouter

from oms.fulfilment.planning import service
from oms.fulfilment.planning.schemas import PlanOut, PlanOverrideIn
from oms.http.deps import CurrentActor, CurrentPrincipal, Db, requires
from oms.http.problems import problems

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["fulfilment"])


@router.get(
    "/orders/{order_id}/fulfilment-plan",
    dependencies=[requires("orders:read")],
    responses=problems(404),
)
def read_plan(order_id: str, principal: CurrentPrincipal, db: Db) -> PlanOut:
    """Which warehouse ships which lines with which carrier, the alternatives and reasons."""
    return service.get_plan(db, principal.tenant_id, order_id)


@router.put(
    "/orders/{order_id}/fulfilment-plan",
    dependencies=[requires("orders:fulfil")],
    responses=problems(404, 422),
)
def put_plan(order_id: str, body: PlanOverrideIn, actor: CurrentActor, db: Db) -> PlanOut:
    """Override the plan (ops); the reason is recorded on the order's timeline."""
    return service.override_plan(db, actor, order_id, body)
