"""Notification rules: save (template and condition checked first), read, disable, preview;
WeChat subscription grants.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from oms.core.context import Actor
from oms.core.errors import Conflict, ValidationFailed
from oms.core.ids import new_id
from oms.core.paging import Page, PageRequest, fetch_items
from oms.core.uow import Database, UnitOfWork
from oms.fulfilment.notify.conditions import check_condition, condition_matches
from oms.fulfilment.notify.errors import RuleNameTaken, RuleNotFound, RuleSettingsInvalid
from oms.fulfilment.notify.models import NotificationRule, WechatGrant
from oms.fulfilment.notify.schemas import (
    Channel,
    GrantIn,
    GrantOut,
    PreviewIn,
    PreviewOut,
    RuleIn,
    RuleOut,
)
from oms.fulfilment.notify.templates import check_template, render
from oms.fulfilment.notify.variables import Trigger, gather
from oms.orders import queries as orders

__all__ = [
    "create_rule",
    "get_rule",
    "grant_subscription",
    "preview",
    "replace_rule",
    "rule_out",
    "rule_page",
]

_SCOPE = "notification-rules"


def check_rule(data: RuleIn) -> None:
    """Refuse a rule that cannot work, before anything is written.

    Raises: ERR_NOTIFICATION_TEMPLATE_INVALID, ERR_NOTIFICATION_CONDITION_INVALID,
    ERR_NOTIFICATION_RULE_INVALID.
    """
    check_template(data.template)
    if data.subject:
        check_template(data.subject, field="subject")
    if data.condition and data.condition.strip():
        check_condition(data.condition)
    if (data.quiet_start is None) != (data.quiet_end is None):
        raise RuleSettingsInvalid("quiet hours need both a start and an end", field="quiet_end")
    if data.channel == Channel.WECHAT and not data.wechat_template_id:
        raise RuleSettingsInvalid(
            "a WeChat rule needs its subscribe message template id", field="wechat_template_id"
        )
    if data.fallback_channel not in (None, Channel.SMS) or (
        data.fallback_channel is not None and data.channel != Channel.WECHAT
    ):
        raise RuleSettingsInvalid(
            "only a WeChat rule falls back, and only to sms", field="fallback_channel"
        )


def create_rule(db: Database, actor: Actor, data: RuleIn) -> RuleOut:
    """A new rule. Raises: the check_rule codes, ERR_NOTIFICATION_RULE_NAME_TAKEN."""
    check_rule(data)
    with db.uow() as uow:
        _check_name(uow, actor.tenant_id, data.name, rule_id=None)
        now = uow.clock.now()
        row = NotificationRule(tenant_id=actor.tenant_id, id=new_id(), version=0, created_at=now)
        _apply(row, data, actor, now=now)
        uow.session.add(row)
        uow.session.flush()
        out = rule_out(row)
        uow.commit()
        return out


def replace_rule(
    db: Database, actor: Actor, rule_id: str, data: RuleIn, *, expected_version: int | None = None
) -> RuleOut:
    """Replace a rule's settings. Raises: ERR_NOTIFICATION_RULE_NOT_FOUND, the check_rule
    codes, ERR_NOTIFICATION_RULE_NAME_TAKEN, ERR_CONFLICT (a stale ``expected_version``)."""
    check_rule(data)
    with db.uow() as uow:
        row = _get(uow, actor.tenant_id, rule_id, lock=True)
        if expected_version is not None and row.version != expected_version:
            raise Conflict("the rule changed meanwhile", current_version=row.version)
        _check_name(uow, actor.tenant_id, data.name, rule_id=rule_id)
        _apply(row, data, actor, now=uow.clock.now())
        uow.session.flush()
        out = rule_out(row)
        uow.commit()
        return out


def get_rule(db: Database, tenant_id: str, rule_id: str) -> RuleOut:
    """One rule. Raises: ERR_NOTIFICATION_RULE_NOT_FOUND."""
    with db.reader() as session:
        row = session.get(NotificationRule, (tenant_id, rule_id))
        if row is None:
            raise RuleNotFound(rule_id=rule_id)
        return rule_out(row)


def rule_page(db: Database, tenant_id: str, *, page: PageRequest = PageRequest()) -> Page[RuleOut]:
    """One page of the tenant's rules, by node then name."""
    stmt = select(NotificationRule).where(NotificationRule.tenant_id == tenant_id)
    keys = (NotificationRule.node, NotificationRule.name, NotificationRule.id)
    with db.reader() as session:
        return fetch_items(session, stmt, keys, page, rule_out, scope=_SCOPE)


def preview(db: Database, tenant_id: str, data: PreviewIn) -> PreviewOut:
    """A rule (saved or as edited) rendered against an order, nothing sent or written.

    Raises: ERR_VALIDATION (no order or no rule named), ERR_ORDER_NOT_FOUND,
    ERR_NOTIFICATION_RULE_NOT_FOUND, the check_rule codes.
    """
    rule = _preview_rule(db, tenant_id, data)
    check_rule(rule)
    order_id = _preview_order(db, tenant_id, data)
    facts = gather(db, tenant_id, Trigger(node=str(rule.node), key="preview", order_id=order_id))
    return PreviewOut(
        text=render(rule.template, facts.variables),
        subject=render(rule.subject, facts.variables, field="subject") if rule.subject else None,
        condition_matches=condition_matches(rule.condition, facts.values),
        variables=facts.variables,
    )


def grant_subscription(db: Database, actor: Actor, data: GrantIn) -> GrantOut:
    """Record ``count`` accepted one-time subscriptions of a buyer to a template."""
    with db.uow() as uow:
        now = uow.clock.now()
        for _ in range(data.count):
            uow.session.add(
                WechatGrant(
                    tenant_id=actor.tenant_id,
                    id=new_id(),
                    buyer_id=data.buyer_id,
                    openid=data.openid,
                    template_id=data.template_id,
                    granted_at=now,
                )
            )
        uow.session.flush()
        remaining = remaining_grants(uow, actor.tenant_id, data.buyer_id, data.template_id)
        uow.commit()
    return GrantOut(buyer_id=data.buyer_id, template_id=data.template_id, remaining=remaining)


def remaining_grants(uow: UnitOfWork, tenant_id: str, buyer_id: str, template_id: str) -> int:
    """Unused grants of a buyer for a template (an operation in the caller's unit of work)."""
    return int(
        uow.session.scalar(
            select(func.count()).where(
                WechatGrant.tenant_id == tenant_id,
                WechatGrant.buyer_id == buyer_id,
                WechatGrant.template_id == template_id,
                WechatGrant.used_at.is_(None),
            )
        )
        or 0
    )


def rule_out(row: NotificationRule) -> RuleOut:
    """The API shape of a rule row."""
    return RuleOut.model_validate(row, from_attributes=True)


def _preview_rule(db: Database, tenant_id: str, data: PreviewIn) -> RuleIn:
    if data.rule is not None:
        return data.rule
    if data.rule_id:
        saved = get_rule(db, tenant_id, data.rule_id)
        return RuleIn.model_validate(
            saved.model_dump(include=set(RuleIn.model_fields) - {"is_enabled"})
        )
    raise ValidationFailed("name a rule (rule_id) or send one (rule)", field="rule")


def _preview_order(db: Database, tenant_id: str, data: PreviewIn) -> str:
    if data.order_id:
        return data.order_id
    if data.order_no:
        found = orders.find_by_order_no(db, tenant_id, data.order_no.strip())
        if found is None:
            raise ValidationFailed("no order has this number", field="order_no")
        return found.id
    raise ValidationFailed("name an order (order_id or order_no)", field="order_no")


def _get(uow: UnitOfWork, tenant_id: str, rule_id: str, *, lock: bool) -> NotificationRule:
    stmt = select(NotificationRule).where(
        NotificationRule.tenant_id == tenant_id, NotificationRule.id == rule_id
    )
    row = uow.session.scalars(stmt.with_for_update() if lock else stmt).first()
    if row is None:
        raise RuleNotFound(rule_id=rule_id)
    return row


def _check_name(uow: UnitOfWork, tenant_id: str, name: str, *, rule_id: str | None) -> None:
    other = uow.session.scalar(
        select(NotificationRule.id).where(
            NotificationRule.tenant_id == tenant_id, NotificationRule.name == name
        )
    )
    if other is not None and other != rule_id:
        raise RuleNameTaken(name=name, rule_id=other)


def _apply(row: NotificationRule, data: RuleIn, actor: Actor, *, now: datetime) -> None:
    row.name, row.node, row.channel = data.name, str(data.node), str(data.channel)
    row.template, row.subject = data.template, data.subject or None
    row.condition = data.condition.strip() if data.condition and data.condition.strip() else None
    row.quiet_start, row.quiet_end = data.quiet_start, data.quiet_end
    row.is_critical, row.is_enabled = data.is_critical, data.is_enabled
    row.fallback_channel = str(data.fallback_channel) if data.fallback_channel else None
    row.wechat_template_id = data.wechat_template_id
    row.wechat_page, row.wechat_key = data.wechat_page, data.wechat_key
    row.updated_by, row.updated_at = actor.principal, now
    row.version = (row.version or 0) + 1
