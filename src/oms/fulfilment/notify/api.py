"""Notification rules, their preview, WeChat grants and an order's message log over HTTP."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from oms.core.paging import Page, Paging
from oms.fulfilment.notify import queries, service
from oms.fulfilment.notify.schemas import (
    GrantIn,
    GrantOut,
    MessageOut,
    PreviewIn,
    PreviewOut,
    RuleIn,
    RuleOut,
)
from oms.http.deps import CurrentActor, CurrentPrincipal, Db, requires
from oms.http.problems import problems

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["notifications"])
RuleId = Annotated[str, Path(min_length=1, max_length=36)]
OrderId = Annotated[str, Path(min_length=1, max_length=36)]
_MANAGE = [requires("notifications:manage")]


@router.get("/notification-rules", dependencies=_MANAGE)
def list_rules(principal: CurrentPrincipal, db: Db, page: Paging) -> Page[RuleOut]:
    """The tenant's notification rules, by node then name."""
    return service.rule_page(db, principal.tenant_id, page=page)


@router.post(
    "/notification-rules", status_code=201, dependencies=_MANAGE, responses=problems(409, 422)
)
def post_rule(body: RuleIn, actor: CurrentActor, db: Db) -> RuleOut:
    """A new rule; a broken template or condition is refused with the parser's message."""
    return service.create_rule(db, actor, body)


@router.post("/notification-rules/preview", dependencies=_MANAGE, responses=problems(404, 422))
def preview_rule(body: PreviewIn, principal: CurrentPrincipal, db: Db) -> PreviewOut:
    """A rule (saved or as edited) rendered against an order; nothing is sent."""
    return service.preview(db, principal.tenant_id, body)


@router.post(
    "/notification-rules/wechat-grants",
    status_code=201,
    dependencies=[requires("orders:service")],
)
def post_grant(body: GrantIn, actor: CurrentActor, db: Db) -> GrantOut:
    """Record accepted one-time subscriptions (one WeChat send each)."""
    return service.grant_subscription(db, actor, body)


@router.get("/notification-rules/{rule_id}", dependencies=_MANAGE, responses=problems(404))
def read_rule(rule_id: RuleId, principal: CurrentPrincipal, db: Db) -> RuleOut:
    """One rule."""
    return service.get_rule(db, principal.tenant_id, rule_id)


@router.put(
    "/notification-rules/{rule_id}", dependencies=_MANAGE, responses=problems(404, 409, 422)
)
def put_rule(
    rule_id: RuleId,
    body: RuleIn,
    actor: CurrentActor,
    db: Db,
    expected_version: Annotated[int | None, Query(ge=0)] = None,
) -> RuleOut:
    """Replace a rule's settings (checked as on create)."""
    return service.replace_rule(db, actor, rule_id, body, expected_version=expected_version)


@router.get("/orders/{order_id}/notifications", dependencies=[requires("orders:read")])
def order_notifications(
    order_id: OrderId, principal: CurrentPrincipal, db: Db, page: Paging
) -> Page[MessageOut]:
    """The messages logged for an order (rendered text, channel, status, error), oldest first."""
    return queries.message_page(db, principal.tenant_id, order_id, page=page)
