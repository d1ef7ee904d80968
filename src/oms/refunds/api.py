"""Refunds over HTTP: thin routes that parse, call one service or query, and render."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from oms.core.paging import Page, Paging
from oms.http.deps import CurrentActor, CurrentPrincipal, Db, requires
from oms.http.problems import problems
from oms.refunds import advice, queries, routing, service, sla, trust
from oms.refunds.schemas import (
    AdviceIn,
    AdviceOut,
    AdviceReport,
    DecisionIn,
    GroupIn,
    GroupOut,
    RefundIn,
    RefundOut,
    ReturnIn,
    RoutingRuleIn,
    RoutingRuleOut,
    SettingsIn,
    SettingsOut,
    SlaBoard,
)
from oms.refunds.states import RefundStatus

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/refunds", tags=["refunds"])
GroupName = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]


@router.post(
    "",
    status_code=201,
    dependencies=[requires("refunds:request")],
    responses=problems(404)
    | {200: {"model": RefundOut, "description": "the request_id was seen before"}},
)
def request_refund(body: RefundIn, actor: CurrentActor, db: Db, response: Response) -> RefundOut:
    """Request a refund of an order: the whole order, lines, or an amount (fen)."""
    requested = service.request_refund(db, actor, body)
    response.status_code = 201 if requested.created else 200
    response.headers["Location"] = f"/api/v1/refunds/{requested.refund.id}"
    return requested.refund


@router.get("", dependencies=[requires("refunds:read")])
def list_refunds(
    principal: CurrentPrincipal,
    db: Db,
    page: Paging,
    order_id: Annotated[str | None, Query(max_length=36)] = None,
    status: RefundStatus | None = None,
) -> Page[RefundOut]:
    """Refunds, oldest request first, optionally of one order or status, paged by cursor."""
    return queries.list_refunds(
        db, principal.tenant_id, order_id=order_id, status=status, page=page
    )


@router.get("/sla", dependencies=[requires("refunds:review")])
def sla_board(principal: CurrentPrincipal, db: Db) -> SlaBoard:
    """Open refunds with their age colour and compensation exposure."""
    return sla.sla_board(db, principal.tenant_id)


@router.get("/routing", dependencies=[requires("refunds:configure")])
def get_routing(principal: CurrentPrincipal, db: Db) -> list[RoutingRuleOut]:
    """The routing rules, in the order they are tried."""
    return routing.list_rules(db, principal.tenant_id)


@router.put("/routing", dependencies=[requires("refunds:configure")])
def put_routing(
    body: list[RoutingRuleIn], principal: CurrentPrincipal, db: Db
) -> list[RoutingRuleOut]:
    """Replace the routing rules (first match wins)."""
    return routing.replace_rules(db, principal.tenant_id, body)


@router.get("/groups", dependencies=[requires("refunds:configure")])
def get_groups(principal: CurrentPrincipal, db: Db) -> list[GroupOut]:
    """Review groups with their supervisors and members."""
    return routing.list_groups(db, principal.tenant_id)


@router.put("/groups/{name}", dependencies=[requires("refunds:configure")])
def put_group(name: GroupName, body: GroupIn, principal: CurrentPrincipal, db: Db) -> GroupOut:
    """Create or replace a review group."""
    return routing.set_group(db, principal.tenant_id, name, body)


@router.get("/settings", dependencies=[requires("refunds:configure")])
def get_settings(principal: CurrentPrincipal, db: Db) -> SettingsOut:
    """Auto-refund settings."""
    return trust.get_settings(db, principal.tenant_id)


@router.put("/settings", dependencies=[requires("refunds:configure")])
def put_settings(body: SettingsIn, principal: CurrentPrincipal, db: Db) -> SettingsOut:
    """Set the auto-refund settings."""
    return trust.put_settings(db, principal.tenant_id, body)


@router.get("/advice/report", dependencies=[requires("refunds:review")])
def refund_advice_report(principal: CurrentPrincipal, db: Db) -> AdviceReport:
    """Refund advice evaluated: followed or not, repeat purchases within 60 days, feedback."""
    return advice.advice_report(db, principal.tenant_id)


@router.get("/{refund_id}/advice", dependencies=[requires("refunds:read")], responses=problems(404))
def read_refund_advice(refund_id: str, principal: CurrentPrincipal, db: Db) -> AdviceOut:
    """The strategy advised for a refund, with the reasons shown to the reviewer."""
    return advice.get_advice(db, principal.tenant_id, refund_id)


@router.post(
    "/{refund_id}/advice", dependencies=[requires("refunds:review")], responses=problems(404)
)
def record_refund_advice(refund_id: str, body: AdviceIn, actor: CurrentActor, db: Db) -> AdviceOut:
    """Record the reviewer's choice of strategy and/or the buyer's feedback score."""
    return advice.record_advice(db, actor, refund_id, body)


@router.get("/{refund_id}", dependencies=[requires("refunds:read")])
def read_refund(refund_id: str, principal: CurrentPrincipal, db: Db) -> RefundOut:
    """One refund."""
    return queries.get_refund(db, principal.tenant_id, refund_id)


@router.post("/{refund_id}/approve", dependencies=[requires("refunds:review")])
def approve(
    refund_id: str, actor: CurrentActor, db: Db, body: DecisionIn | None = None
) -> RefundOut:
    """Approve (routed group members and admins only); the gateway call follows as a job."""
    return service.approve_refund(db, actor, refund_id, body or DecisionIn())


@router.post("/{refund_id}/reject", dependencies=[requires("refunds:review")])
def reject(
    refund_id: str, actor: CurrentActor, db: Db, body: DecisionIn | None = None
) -> RefundOut:
    """Reject (routed group members and admins only)."""
    return service.reject_refund(db, actor, refund_id, body or DecisionIn())


@router.post("/{refund_id}/retry", dependencies=[requires("refunds:review")])
def retry(refund_id: str, actor: CurrentActor, db: Db) -> RefundOut:
    """Send a failed refund to the gateway again (same out_request_no)."""
    return service.retry_refund(db, actor, refund_id)


@router.post("/{refund_id}/receive-return", dependencies=[requires("refunds:receive")])
def receive_return(refund_id: str, body: ReturnIn, actor: CurrentActor, db: Db) -> RefundOut:
    """Book returned goods into stock as ``return`` movements."""
    return service.receive_return(db, actor, refund_id, body)
