"""Routing: which review group decides a refund, and who belongs to which group.

Rules are an ordered per-tenant table; the first rule whose reason matches, whose channel is
empty or equal, and whose amount range [min, max] holds the refund, wins. No match routes to
the group ``default``. Members are principals (``apikey:<id>``, ``user:<id>``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from oms.core.context import Actor
from oms.core.repo import insert_ignore
from oms.core.shapes import project
from oms.core.uow import Database
from oms.refunds.errors import InvalidRoutingRule, NotInReviewGroup
from oms.refunds.models import RefundGroup, RefundGroupMember, RefundRule
from oms.refunds.schemas import GroupIn, GroupOut, RoutingRuleIn, RoutingRuleOut

__all__ = [
    "DEFAULT_GROUP",
    "Route",
    "add_member",
    "check_reviewer",
    "list_groups",
    "list_rules",
    "remove_member",
    "replace_rules",
    "route",
    "set_group",
    "supervisor_of",
]

DEFAULT_GROUP = "default"


@dataclass(frozen=True, slots=True)
class Route:
    review_group: str
    template: dict[str, Any]


def replace_rules(db: Database, tenant_id: str, rules: list[RoutingRuleIn]) -> list[RoutingRuleOut]:
    """Replace the tenant's routing table. Raises: ERR_REFUND_INVALID_RULE (min > max)."""
    for rule in rules:
        bounded = rule.min_amount is not None and rule.max_amount is not None
        if bounded and rule.min_amount > rule.max_amount:  # type: ignore[operator]
            raise InvalidRoutingRule("min_amount is above max_amount", reason=rule.reason)
    with db.uow() as uow:
        uow.session.execute(delete(RefundRule).where(RefundRule.tenant_id == tenant_id))
        for position, rule in enumerate(rules, start=1):
            uow.session.add(RefundRule(tenant_id=tenant_id, position=position, **rule.model_dump()))
        uow.commit()
    return list_rules(db, tenant_id)


def list_rules(db: Database, tenant_id: str) -> list[RoutingRuleOut]:
    """The routing table, in the order it is tried."""
    with db.reader() as session:
        return [_rule_out(r) for r in _rules(session, tenant_id)]


def route(session: Session, tenant_id: str, *, reason: str, channel: str, amount: int) -> Route:
    """The group and decision template of the first matching rule (an operation)."""
    for rule in _rules(session, tenant_id):
        if rule.reason != reason or rule.channel not in (None, channel):
            continue
        if rule.min_amount is not None and amount < rule.min_amount:
            continue
        if rule.max_amount is not None and amount > rule.max_amount:
            continue
        return Route(rule.review_group, dict(rule.template))
    return Route(DEFAULT_GROUP, {})


def set_group(db: Database, tenant_id: str, name: str, data: GroupIn) -> GroupOut:
    """Create or replace a review group: its supervisor and its members."""
    with db.uow() as uow:
        group = uow.session.get(RefundGroup, (tenant_id, name))
        if group is None:
            group = RefundGroup(tenant_id=tenant_id, name=name)
            uow.session.add(group)
        group.supervisor, group.updated_at = data.supervisor, uow.clock.now()
        uow.session.flush()
        uow.session.execute(
            delete(RefundGroupMember).where(
                RefundGroupMember.tenant_id == tenant_id, RefundGroupMember.group_name == name
            )
        )
        for principal in sorted(set(data.members)):
            uow.session.add(
                RefundGroupMember(tenant_id=tenant_id, group_name=name, principal=principal)
            )
        uow.commit()
    return GroupOut(name=name, supervisor=data.supervisor, members=sorted(set(data.members)))


def add_member(db: Database, tenant_id: str, group: str, principal: str) -> None:
    """Put one principal into a review group, creating the group if it is new; a member
    added twice is one member. Other members and the supervisor stay as they are."""
    with db.uow() as uow:
        if uow.session.get(RefundGroup, (tenant_id, group)) is None:
            insert_ignore(
                uow,
                RefundGroup,
                {"tenant_id": tenant_id, "name": group, "updated_at": uow.clock.now()},
            )
        insert_ignore(
            uow,
            RefundGroupMember,
            {"tenant_id": tenant_id, "group_name": group, "principal": principal},
        )
        uow.commit()


def remove_member(db: Database, tenant_id: str, group: str, principal: str) -> None:
    """Take one principal out of a review group; one not in it changes nothing."""
    with db.uow() as uow:
        uow.session.execute(
            delete(RefundGroupMember).where(
                RefundGroupMember.tenant_id == tenant_id,
                RefundGroupMember.group_name == group,
                RefundGroupMember.principal == principal,
            )
        )
        uow.commit()


def list_groups(db: Database, tenant_id: str) -> list[GroupOut]:
    """Every review group with its supervisor and members."""
    with db.reader() as session:
        groups = session.scalars(
            select(RefundGroup).where(RefundGroup.tenant_id == tenant_id).order_by(RefundGroup.name)
        ).all()
        members = session.execute(
            select(RefundGroupMember.group_name, RefundGroupMember.principal).where(
                RefundGroupMember.tenant_id == tenant_id
            )
        ).all()
    by_group: dict[str, list[str]] = {}
    for group_name, principal in members:
        by_group.setdefault(group_name, []).append(principal)
    return [
        GroupOut(name=g.name, supervisor=g.supervisor, members=sorted(by_group.get(g.name, [])))
        for g in groups
    ]


def check_reviewer(session: Session, actor: Actor, group: str) -> None:
    """Admins and the routed group's members may decide. Raises: ERR_REFUND_NOT_IN_GROUP."""
    if actor.role in ("admin", "system"):
        return
    found = session.get(RefundGroupMember, (actor.tenant_id, group, actor.principal))
    if found is None:
        raise NotInReviewGroup(f"{actor.principal} is not in review group {group}", group=group)


def supervisor_of(session: Session, tenant_id: str, group: str) -> str | None:
    """The principal a group's red refunds escalate to, if the group names one."""
    row = session.get(RefundGroup, (tenant_id, group))
    return row.supervisor if row is not None else None


def _rules(session: Session, tenant_id: str) -> list[RefundRule]:
    stmt = select(RefundRule).where(RefundRule.tenant_id == tenant_id)
    return list(session.scalars(stmt.order_by(RefundRule.position)))


def _rule_out(rule: RefundRule) -> RoutingRuleOut:
    return project(RoutingRuleOut, rule, template=dict(rule.template))
