"""The tenant's rules: save (checked), list, and the dry run of a rule over the last 30 days.

Every tenant starts with ``rules.BUILTIN_RULES``, installed as ordinary rows the first time
its rules are read or evaluated, so a merchant edits or disables a default like any rule.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from oms.core.context import Actor
from oms.core.ids import new_id
from oms.core.repo import insert_ignore
from oms.core.uow import Database, UnitOfWork
from oms.risk import rules
from oms.risk.errors import RuleInvalid
from oms.risk.models import Assessment, RiskRule
from oms.risk.rules import CompiledRule, RuleSpec
from oms.risk.schemas import DryRunIn, DryRunOut, RuleIn, RuleOut

__all__ = ["dry_run", "evaluate", "list_rules", "live_rules", "save_rule"]

_SHOWN = 100


def save_rule(db: Database, actor: Actor, data: RuleIn) -> RuleOut:
    """Create the rule, or replace the one with the same name; checked first.

    Raises: ERR_RISK_RULE_INVALID (naming the problem).
    """
    rules.compile_rule(data.expression)
    with db.uow() as uow:
        _install_defaults(uow, actor.tenant_id)
        now = uow.clock.now()
        row = uow.session.scalars(
            select(RiskRule).where(
                RiskRule.tenant_id == actor.tenant_id, RiskRule.name == data.name
            )
        ).first()
        if row is None:
            row = RiskRule(
                tenant_id=actor.tenant_id,
                id=new_id(),
                name=data.name,
                builtin=False,
                created_at=now,
            )
            uow.session.add(row)
        row.expression, row.action = data.expression, str(data.action)
        row.enabled, row.shadow = data.enabled, data.shadow
        row.created_by, row.updated_at = actor.principal, now
        uow.session.flush()
        out = _out(row)
        uow.commit()
        return out


def list_rules(db: Database, tenant_id: str) -> list[RuleOut]:
    """The tenant's rules by name (the defaults installed on first use)."""
    with db.uow() as uow:
        _install_defaults(uow, tenant_id)
        rows = uow.session.scalars(
            select(RiskRule).where(RiskRule.tenant_id == tenant_id).order_by(RiskRule.name)
        ).all()
        out = [_out(r) for r in rows]
        uow.commit()
        return out


def live_rules(uow: UnitOfWork, tenant_id: str) -> list[CompiledRule]:
    """The enabled rules (shadow ones included), compiled: an operation in the caller's unit
    of work. A stored rule that no longer compiles is skipped, never fatal."""
    _install_defaults(uow, tenant_id)
    rows = uow.session.execute(
        select(RiskRule.name, RiskRule.expression, RiskRule.action, RiskRule.shadow)
        .where(RiskRule.tenant_id == tenant_id, RiskRule.enabled.is_(True))
        .order_by(RiskRule.name)
    )
    compiled = []
    for name, expression, action, shadow in rows:
        try:
            rule = rules.compile_rule(expression)
        except RuleInvalid:
            continue
        compiled.append(
            CompiledRule(RuleSpec(name, expression, rules.Action(action), shadow), rule)
        )
    return compiled


def evaluate(compiled: list[CompiledRule], features: dict[str, object]) -> list[RuleSpec]:
    """The rules the features match."""
    return rules.hits(compiled, features)


def dry_run(db: Database, tenant_id: str, data: DryRunIn) -> DryRunOut:
    """What the expression would have held among the orders assessed in the last ``days``,
    evaluated on the features each order had when it was placed.

    Raises: ERR_RISK_RULE_INVALID.
    """
    rule = rules.compile_rule(data.expression)
    probe = [CompiledRule(RuleSpec("dry-run", data.expression, rules.Action.REVIEW), rule)]
    since = db.clock.now() - timedelta(days=data.days)
    evaluated = would = held_now = 0
    shown: list[str] = []
    with db.reader() as session:
        rows = session.execute(
            select(Assessment.order_no, Assessment.features, Assessment.action)
            .where(Assessment.tenant_id == tenant_id, Assessment.assessed_at >= since)
            .order_by(Assessment.assessed_at)
            .execution_options(yield_per=1000)
        )
        for order_no, seen, action in rows:
            evaluated += 1
            if rules.hits(probe, seen):
                would += 1
                held_now += action != rules.Action.ALLOW
                if len(shown) < _SHOWN:
                    shown.append(order_no)
    return DryRunOut(
        expression=data.expression,
        days=data.days,
        evaluated=evaluated,
        would_hold=would,
        currently_held=held_now,
        order_nos=shown,
    )


def _install_defaults(uow: UnitOfWork, tenant_id: str) -> None:
    has_any = uow.session.scalar(
        select(RiskRule.id)
        .where(RiskRule.tenant_id == tenant_id, RiskRule.builtin.is_(True))
        .limit(1)
    )
    if has_any is not None:
        return
    now = uow.clock.now()
    for spec in rules.BUILTIN_RULES:
        insert_ignore(
            uow,
            RiskRule,
            {
                "tenant_id": tenant_id,
                "id": new_id(),
                "name": spec.name,
                "expression": spec.expression,
                "action": str(spec.action),
                "enabled": True,
                "shadow": spec.shadow,
                "builtin": True,
                "created_by": "system:risk",
                "created_at": now,
                "updated_at": now,
            },
        )


def _out(row: RiskRule) -> RuleOut:
    return RuleOut(
        id=row.id,
        name=row.name,
        expression=row.expression,
        action=rules.Action(row.action),
        enabled=row.enabled,
        shadow=row.shadow,
        builtin=row.builtin,
        created_by=row.created_by,
        updated_at=row.updated_at,
    )
