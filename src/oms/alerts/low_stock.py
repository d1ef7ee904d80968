"""Low-stock alerts: one rule per tenant, evaluated by a sweep through ``alert.raised``.

A SKU whose available stock is at or below the rule's threshold raises one ``stock.low``
alert; it raises no other until it has been above the threshold again (a flag row per SKU
remembers it). The sweep reads levels the way the stock pages do, so what the alert says is
what a warehouse sees. Untracked SKUs never alert.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import delete, select

from oms.alerts.errors import LowStockRuleInvalid
from oms.alerts.events import AlertRaised
from oms.alerts.models import AlertRoute, LowStockFlag, LowStockRule
from oms.core import outbox
from oms.core.context import Actor
from oms.core.repo import insert_ignore
from oms.core.uow import Database, UnitOfWork

__all__ = [
    "LOW_STOCK_ALERT",
    "LowStockRuleIn",
    "LowStockRuleOut",
    "evaluate_low_stock",
    "get_low_stock_rule",
    "set_low_stock_rule",
    "sweep_low_stock",
]

LOW_STOCK_ALERT = "stock.low"
# The stock API's own bound on a quantity (inventory.schemas.MAX_QTY; alerts sits below
# inventory, so it cannot import it).
_MAX_THRESHOLD = 1_000_000_000
# Tracked SKUs of a tenant whose available is at most a threshold, with that available:
# inventory's read (``inventory.queries.skus_at_or_below``), handed in by the wiring because
# alerts sits below every domain that raises alerts.
LowSkus = Callable[[Database, str, int], dict[str, int]]


class LowStockRuleIn(BaseModel):
    """Alert when a SKU's available stock is at most ``threshold``, to ``route_id`` (or to
    every route matching ``stock.low`` when it is null)."""

    model_config = ConfigDict(extra="forbid")
    threshold: Annotated[int, Field(ge=0, le=_MAX_THRESHOLD)]
    route_id: Annotated[str, StringConstraints(min_length=1, max_length=36)] | None = None


class LowStockRuleOut(BaseModel):
    threshold: int
    route_id: str | None
    updated_at: datetime


def set_low_stock_rule(db: Database, actor: Actor, data: LowStockRuleIn) -> LowStockRuleOut:
    """Create or replace the tenant's rule.

    Raises: ERR_ALERT_LOW_STOCK_RULE_INVALID (a route the tenant does not have).
    """
    with db.uow() as uow:
        if data.route_id and not _has_route(uow, actor.tenant_id, data.route_id):
            raise LowStockRuleInvalid("no such alert route", route_id=data.route_id)
        rule = uow.session.get(LowStockRule, actor.tenant_id)
        if rule is None:
            rule = LowStockRule(tenant_id=actor.tenant_id)
            uow.session.add(rule)
        rule.threshold, rule.route_id = data.threshold, data.route_id
        rule.actor, rule.updated_at = actor.principal, uow.clock.now()
        out = _out(rule)
        uow.commit()
    return out


def get_low_stock_rule(db: Database, tenant_id: str) -> LowStockRuleOut | None:
    """The tenant's rule, or None when it has none."""
    with db.reader() as session:
        rule = session.get(LowStockRule, tenant_id)
        return _out(rule) if rule else None


def sweep_low_stock(db: Database, *, low_skus: LowSkus) -> int:
    """Evaluate every tenant's rule; the number of alerts raised (a periodic sweep)."""
    with db.reader() as session:
        tenants = list(session.scalars(select(LowStockRule.tenant_id)))
    return sum(len(evaluate_low_stock(db, tenant_id, low_skus=low_skus)) for tenant_id in tenants)


def evaluate_low_stock(db: Database, tenant_id: str, *, low_skus: LowSkus) -> list[str]:
    """Raise ``stock.low`` for SKUs newly at or below the threshold; re-arm those above it.

    Returns the SKUs that raised an alert now (empty when the tenant has no rule).
    """
    rule = get_low_stock_rule(db, tenant_id)
    if rule is None:
        return []
    low = low_skus(db, tenant_id, rule.threshold)
    with db.uow() as uow:
        flagged = set(
            uow.session.scalars(select(LowStockFlag.sku).where(LowStockFlag.tenant_id == tenant_id))
        )
        now = uow.clock.now()
        raised = [sku for sku in low if sku not in flagged]
        for sku in raised:
            _raise(uow, tenant_id, rule, sku=sku, available=low[sku], now=now)
        rearmed = flagged - set(low)
        if rearmed:
            uow.session.execute(
                delete(LowStockFlag).where(
                    LowStockFlag.tenant_id == tenant_id, LowStockFlag.sku.in_(sorted(rearmed))
                )
            )
        uow.commit()
    return raised


def _raise(
    uow: UnitOfWork,
    tenant_id: str,
    rule: LowStockRuleOut,
    *,
    sku: str,
    available: int,
    now: datetime,
) -> None:
    insert_ignore(
        uow,
        LowStockFlag,
        {"tenant_id": tenant_id, "sku": sku, "available": available, "raised_at": now},
    )
    details: dict[str, Any] = {"sku": sku, "available": available, "threshold": rule.threshold}
    if rule.route_id:
        details["route_id"] = rule.route_id
    alert = AlertRaised(
        tenant_id=tenant_id,
        type=LOW_STOCK_ALERT,
        severity="medium",
        title=f"库存告急 / Low stock: {sku} ({available} ≤ {rule.threshold})",
        details=details,
    )
    outbox.add(uow, alert, now=now)


def _has_route(uow: UnitOfWork, tenant_id: str, route_id: str) -> bool:
    return uow.session.get(AlertRoute, (tenant_id, route_id)) is not None


def _out(rule: LowStockRule) -> LowStockRuleOut:
    return LowStockRuleOut(
        threshold=rule.threshold, route_id=rule.route_id, updated_at=rule.updated_at
    )
