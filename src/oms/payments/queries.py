"""Read-only payment queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from oms.core.paging import Page, PageRequest, fetch_items, from_attributes
from oms.core.repo import scoped
from oms.core.uow import Database
from oms.payments.models import Payment
from oms.payments.schemas import PaymentOut

__all__ = ["list_confirmed_payments", "list_payments", "order_payments"]


def list_payments(
    db: Database,
    tenant_id: str,
    *,
    order_id: str | None = None,
    page: PageRequest = PageRequest(),
) -> Page[PaymentOut]:
    """A tenant's payments, oldest first, optionally of one order, paged by cursor."""
    stmt = scoped(Payment, tenant_id, order_id=order_id)
    keys = (Payment.created_at, Payment.id)
    with db.list_reader() as session:
        return fetch_items(session, stmt, keys, page, from_attributes(PaymentOut), scope="payments")


def order_payments(session: Session, tenant_id: str, order_id: str) -> list[PaymentOut]:
    """An order's payments, oldest first, in the caller's transaction (for refunds)."""
    stmt = select(Payment).where(Payment.tenant_id == tenant_id, Payment.order_id == order_id)
    rows = session.scalars(stmt.order_by(Payment.created_at, Payment.id))
    return [PaymentOut.model_validate(p, from_attributes=True) for p in rows]


def list_confirmed_payments(
    db: Database, tenant_id: str, *, exclude_ids: frozenset[str] = frozenset()
) -> list[PaymentOut]:
    """A tenant's confirmed payments (money that should reach the bank), oldest first."""
    stmt = (
        select(Payment)
        .where(Payment.tenant_id == tenant_id, Payment.status == "confirmed")
        .order_by(Payment.created_at, Payment.id)
    )
    with db.reader() as session:
        found = session.scalars(stmt)
        return [
            PaymentOut.model_validate(p, from_attributes=True)
            for p in found
            if p.id not in exclude_ids
        ]
