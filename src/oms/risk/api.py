"""Risk over HTTP: rules (checked when saved, dry run), blacklist import, an order's
assessment and the reviewer's release or cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from oms.core.paging import Page, Paging
from oms.http.deps import CurrentActor, CurrentPrincipal, Db, requires
from oms.http.uploads import read_upload
from oms.risk import blacklist, delays, queries, rulebook, service
from oms.risk.schemas import (
    BlacklistImportOut,
    BlacklistKind,
    DecisionIn,
    DelayDecisionIn,
    DelayOut,
    DryRunIn,
    DryRunOut,
    QueueItem,
    RiskOut,
    RuleIn,
    RuleOut,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["risk"])
Read = [requires("risk:read")]
Review = [requires("risk:review")]
Configure = [requires("risk:configure")]


@router.post("/risk/rules", dependencies=Configure, status_code=201)
def save_rule(body: RuleIn, actor: CurrentActor, db: Db) -> RuleOut:
    """Create or replace (by name) a rule; a bad expression is 422 ERR_RISK_RULE_INVALID."""
    return rulebook.save_rule(db, actor, body)


@router.get("/risk/rules", dependencies=Read)
def list_rules(principal: CurrentPrincipal, db: Db) -> list[RuleOut]:
    """The tenant's rules, the built-in defaults among them."""
    return rulebook.list_rules(db, principal.tenant_id)


@router.post("/risk/rules/dry-run", dependencies=Configure)
def dry_run(body: DryRunIn, principal: CurrentPrincipal, db: Db) -> DryRunOut:
    """What the expression would have held among the orders of the last ``days`` (≤ 30)."""
    return rulebook.dry_run(db, principal.tenant_id, body)


@router.post("/risk/blacklist", dependencies=Configure, status_code=201)
async def import_blacklist(
    request: Request,
    actor: CurrentActor,
    db: Db,
    kind: BlacklistKind,
    note: Annotated[str | None, Query(max_length=500)] = None,
) -> BlacklistImportOut:
    """Import a CSV of ``kind`` values (raw body or multipart ``file``)."""
    content, _name = await read_upload(request)
    return await run_in_threadpool(
        blacklist.import_blacklist, db, actor, kind=kind, content=content, note=note
    )


@router.get("/risk/queue", dependencies=Read)
def risk_queue(principal: CurrentPrincipal, db: Db) -> list[QueueItem]:
    """Orders held for risk review, oldest hold first."""
    return queries.risk_queue(db, principal.tenant_id)


@router.get("/orders/{order_id}/risk", dependencies=Read, tags=["orders"])
def order_risk(order_id: str, principal: CurrentPrincipal, db: Db) -> RiskOut:
    """The order's risk level, facts, rules hit and recommendation."""
    return queries.order_risk(db, principal.tenant_id, order_id)


@router.post("/orders/{order_id}/risk/release", dependencies=Review, tags=["orders"])
def release(order_id: str, body: DecisionIn, actor: CurrentActor, db: Db) -> RiskOut:
    """Release a held order back to paid, with the reviewer's reason."""
    return service.release_held(db, actor, order_id, reason=body.reason)


@router.post("/orders/{order_id}/risk/cancel", dependencies=Review, tags=["orders"])
def cancel(order_id: str, body: DecisionIn, actor: CurrentActor, db: Db) -> RiskOut:
    """Cancel a held order: a whole-order refund is requested, which closes it when done."""
    return service.cancel_held(db, actor, order_id, reason=body.reason)


@router.get("/risk/delays", dependencies=Read)
def list_delays(
    principal: CurrentPrincipal,
    db: Db,
    paging: Paging,
    min_p: Annotated[float, Query(ge=0.0, le=1.0, description="lowest p_late listed")] = 0.0,
) -> Page[DelayOut]:
    """Parcels in flight the delay model flagged, riskiest first, with ops' decisions."""
    return delays.list_delays(db, principal.tenant_id, min_p=min_p, page=paging)


@router.post("/risk/delays/{shipment_id}/decision", dependencies=Review)
def decide_delay(shipment_id: str, body: DelayDecisionIn, actor: CurrentActor, db: Db) -> DelayOut:
    """Record whether the suggestion was accepted, what was done and why."""
    return service.decide_delay(db, actor, shipment_id, body)
