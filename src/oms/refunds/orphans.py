"""``payment.orphaned`` → an auto-approved refund of that payment, once per payment id."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from oms.core.context import Actor
from oms.core.uow import Database, UnitOfWork
from oms.orders import service as orders
from oms.payments.queries import order_payments
from oms.refunds.errors import NotRefundable
from oms.refunds.funding import check_cap, payment_funding
from oms.refunds.lifecycle import move, record, schedule_execution
from oms.refunds.models import Refund
from oms.refunds.routing import route
from oms.refunds.schemas import RefundReason
from oms.refunds.service import new_refund
from oms.refunds.states import RefundStatus

__all__ = ["refund_orphaned_payment"]


def refund_orphaned_payment(db: Database, *, tenant_id: str, payment_id: str, order_id: str) -> str:
    """Create (once) an approved refund of an orphaned payment and queue it; return its id.

    Raises: ERR_ORDER_NOT_FOUND, ERR_REFUND_NOT_REFUNDABLE (no such payment on the order).
    """
    try:
        with db.uow() as uow:
            refund_id = _existing(uow, tenant_id, payment_id) or _create(
                uow, tenant_id, order_id, payment_id
            )
            uow.commit()
    except IntegrityError:  # another delivery of the same message won the race
        with db.uow() as uow:
            found = _existing(uow, tenant_id, payment_id)
        assert found is not None
        return found
    return refund_id


def _existing(uow: UnitOfWork, tenant_id: str, payment_id: str) -> str | None:
    stmt = select(Refund.id).where(
        Refund.tenant_id == tenant_id, Refund.orphan_payment_id == payment_id
    )
    return uow.session.scalars(stmt).first()


def _create(uow: UnitOfWork, tenant_id: str, order_id: str, payment_id: str) -> str:
    view = orders.refund_view(uow, tenant_id, order_id)
    payment = next(
        (p for p in order_payments(uow.session, tenant_id, order_id) if p.id == payment_id), None
    )
    if payment is None:
        raise NotRefundable("the orphaned payment is not on the order", payment_id=payment_id)
    funding = payment_funding(payment)
    check_cap(uow.session, tenant_id, order_id, funding, payment.amount)
    reason = str(RefundReason.LATE_PAYMENT)
    chosen = route(
        uow.session, tenant_id, reason=reason, channel=view.channel, amount=payment.amount
    )
    refund = new_refund(
        uow,
        tenant_id,
        order_id,
        view,
        funding,
        amount=payment.amount,
        reason=reason,
        scope="orphan",
        review_group=chosen.review_group,
    )
    refund.orphan_payment_id, refund.template = payment_id, chosen.template
    refund.customer_note = "支付到账时订单已不可支付 / paid after the order could no longer be paid"
    uow.session.add(refund)
    uow.session.flush()
    system = Actor.system(tenant_id, "orphaned-payment")
    record(uow, system, refund, "refund_requested", from_status=None, reason=reason)
    refund.decided_by = system.principal
    move(uow, system, refund, RefundStatus.APPROVED, reason="orphaned payment: auto-approved")
    schedule_execution(uow, refund)
    return refund.id
