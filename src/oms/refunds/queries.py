"""Refund reads: one refund, a filtered list, and the figures requests are checked against."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from oms.core.paging import Page, PageRequest, fetch_items
from oms.core.repo import scoped
from oms.core.shapes import project
from oms.core.uow import Database
from oms.refunds.errors import RefundNotFound
from oms.refunds.models import Refund, RefundGroupMember
from oms.refunds.schemas import RefundOut, RefundSentOut
from oms.refunds.states import RefundStatus

__all__ = [
    "COUNTED",
    "claimed_amount",
    "claimed_units",
    "claimed_units_in",
    "get_refund",
    "list_refunded",
    "list_refunds",
    "refund_out",
    "refunded_amount",
    "refunds_requested",
    "review_queue",
    "waiting_by_group",
]

# Statuses whose amount counts against what was paid. Failed counts: it may be retried.
COUNTED = (
    RefundStatus.REQUESTED,
    RefundStatus.APPROVED,
    RefundStatus.REFUNDING,
    RefundStatus.REFUNDED,
    RefundStatus.FAILED,
)


def get_refund(db: Database, tenant_id: str, refund_id: str) -> RefundOut:
    """One refund. Raises: ERR_REFUND_NOT_FOUND (also for another tenant's)."""
    with db.reader() as session:
        refund = session.get(Refund, (tenant_id, refund_id))
        if refund is None:
            raise RefundNotFound("no such refund", refund_id=refund_id)
        return refund_out(refund)


def list_refunds(
    db: Database,
    tenant_id: str,
    *,
    order_id: str | None = None,
    status: RefundStatus | None = None,
    page: PageRequest = PageRequest(),
) -> Page[RefundOut]:
    """A tenant's refunds, oldest request first, optionally of one order or status, paged."""
    wanted = None if status is None else str(status)
    stmt = scoped(Refund, tenant_id, order_id=order_id, status=wanted)
    keys = (Refund.requested_at, Refund.id)
    with db.list_reader() as session:
        return fetch_items(session, stmt, keys, page, refund_out, scope="refunds")


def list_refunded(
    db: Database, tenant_id: str, *, exclude_ids: frozenset[str] = frozenset()
) -> list[RefundSentOut]:
    """A tenant's refunded refunds (money that left the account), oldest refund first.

    For finance, which never reads the refunds table itself.
    """
    stmt = (
        select(Refund)
        .where(Refund.tenant_id == tenant_id, Refund.status == str(RefundStatus.REFUNDED))
        .order_by(Refund.refunded_at, Refund.id)
    )
    with db.reader() as session:
        return [_refund_sent(r) for r in session.scalars(stmt) if r.id not in exclude_ids]


def _refund_sent(refund: Refund) -> RefundSentOut:
    facts = refund.gateway_result or {}
    gateway_refund_id = facts.get("refund_id")
    return project(
        RefundSentOut,
        refund,
        gateway_refund_id=str(gateway_refund_id) if gateway_refund_id else None,
        refunded_at=refund.refunded_at or refund.updated_at,
    )


def review_queue(
    db: Database, tenant_id: str, *, principal: str, all_groups: bool, limit: int = 100
) -> list[RefundOut]:
    """Requested refunds the principal may decide, oldest first: its groups', or all of them."""
    stmt = select(Refund).where(
        Refund.tenant_id == tenant_id, Refund.status == str(RefundStatus.REQUESTED)
    )
    if not all_groups:
        groups = select(RefundGroupMember.group_name).where(
            RefundGroupMember.tenant_id == tenant_id, RefundGroupMember.principal == principal
        )
        stmt = stmt.where(Refund.review_group.in_(groups))
    stmt = stmt.order_by(Refund.requested_at, Refund.id).limit(limit)
    with db.reader() as session:
        return [refund_out(r) for r in session.scalars(stmt)]


def claimed_amount(
    session: Session, tenant_id: str, order_id: str, *, payment_id: str | None
) -> int:
    """What the order's refunds against this payment (None: the channel) already claim."""
    stmt = select(func.coalesce(func.sum(Refund.amount), 0)).where(
        Refund.tenant_id == tenant_id,
        Refund.order_id == order_id,
        Refund.status.in_([str(s) for s in COUNTED]),
    )
    if payment_id is None:
        stmt = stmt.where(Refund.payment_id.is_(None))
    else:
        stmt = stmt.where(Refund.payment_id == payment_id)
    return int(session.scalar(stmt) or 0)


def claimed_units(
    db: Database, tenant_id: str, order_id: str, *, except_request_id: str | None = None
) -> dict[str, int]:
    """Units per SKU the order's counted line refunds already claim (amount and whole-order
    refunds name no lines, so they claim no units). ``except_request_id`` leaves out the refund
    a repeated request would answer with, so a second click is not counted against itself."""
    with db.reader() as session:
        return claimed_units_in(session, tenant_id, order_id, except_request_id=except_request_id)


def claimed_units_in(
    session: Session, tenant_id: str, order_id: str, *, except_request_id: str | None = None
) -> dict[str, int]:
    """``claimed_units`` in the caller's session (the refunds service reads it under the
    order's lock, so two requests cannot both claim the last unit)."""
    stmt = select(Refund.lines).where(
        Refund.tenant_id == tenant_id,
        Refund.order_id == order_id,
        Refund.status.in_([str(s) for s in COUNTED]),
    )
    if except_request_id:
        stmt = stmt.where(or_(Refund.request_id.is_(None), Refund.request_id != except_request_id))
    claimed: dict[str, int] = {}
    for lines in session.scalars(stmt):
        for line in lines or []:
            sku = str(line["sku"])
            claimed[sku] = claimed.get(sku, 0) + int(line["qty"])
    return claimed


def refunded_amount(session: Session, tenant_id: str, order_id: str, payment_id: str | None) -> int:
    """What has actually gone back for the order against this payment."""
    stmt = select(func.coalesce(func.sum(Refund.amount), 0)).where(
        Refund.tenant_id == tenant_id,
        Refund.order_id == order_id,
        Refund.status == str(RefundStatus.REFUNDED),
    )
    if payment_id is None:
        stmt = stmt.where(Refund.payment_id.is_(None))
    else:
        stmt = stmt.where(Refund.payment_id == payment_id)
    return int(session.scalar(stmt) or 0)


def refund_out(refund: Refund) -> RefundOut:
    """The API shape of a refund row."""
    return RefundOut.model_validate(refund, from_attributes=True)


def waiting_by_group(db: Database, tenant_id: str) -> dict[str, int]:
    """How many refunds await review in each review group (groups with none are left out)."""
    stmt = (
        select(Refund.review_group, func.count())
        .where(Refund.tenant_id == tenant_id, Refund.status == str(RefundStatus.REQUESTED))
        .group_by(Refund.review_group)
    )
    with db.reader() as session:
        return {group: int(count) for group, count in session.execute(stmt)}


def refunds_requested(
    db: Database, tenant_id: str, *, requested_from: datetime, requested_to: datetime
) -> dict[str, str]:
    """The orders with a refund (not rejected or cancelled) asked for in [from, to), each with
    its channel: order id -> channel (for refund-rate analytics)."""
    stmt = select(Refund.order_id, Refund.channel).where(
        Refund.tenant_id == tenant_id,
        Refund.requested_at >= requested_from,
        Refund.requested_at < requested_to,
        Refund.status.in_([str(s) for s in COUNTED]),
        Refund.scope != "orphan",
    )
    with db.reader() as session:
        return {order_id: channel for order_id, channel in session.execute(stmt)}
