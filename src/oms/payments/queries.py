"""Read-only payment queries."""

from __future__ import annotations

from sqlalchemy import select

from oms.core.uow import Database
from oms.payments.models import Payment
from oms.payments.schemas import PaymentOut

__all__ = ["list_payments"]


def list_payments(
    db: Database, tenant_id: str, *, order_id: str | None = None, limit: int = 100
) -> list[PaymentOut]:
    """A tenant's payments, oldest first, optionally of one order."""
    stmt = select(Payment).where(Payment.tenant_id == tenant_id)
    if order_id is not None:
        stmt = stmt.where(Payment.order_id == order_id)
    stmt = stmt.order_by(Payment.created_at, Payment.id).limit(limit)
    with db.reader() as session:
        return [PaymentOut.model_validate(p, from_attributes=True) for p in session.scalars(stmt)]
