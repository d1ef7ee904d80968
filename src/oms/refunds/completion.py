"""What a completed refund leaves behind: a signed voucher, a feedback request and the
``refund.succeeded`` message (accounting sends its refund receipt).

An operation called where the refund becomes ``refunded`` (``execution._finish``), so both
are written in the same transaction as that status change, under the refund's lock.
"""

from __future__ import annotations

from oms.core import outbox
from oms.core.shapes import project
from oms.core.uow import UnitOfWork
from oms.feedback import service as feedback
from oms.feedback.schemas import FeedbackSubject
from oms.payments.config import gateway_accounts
from oms.refunds.events import RefundSucceeded
from oms.refunds.models import Refund
from oms.vouchers import service as vouchers
from oms.vouchers.schemas import RefundFacts

__all__ = ["record_completion"]


def record_completion(uow: UnitOfWork, refund: Refund) -> None:
    """Issue the refund's voucher, ask for feedback, announce the refund (never commits)."""
    vouchers.issue_voucher(uow, _facts(uow, refund))
    subject = FeedbackSubject(
        tenant_id=refund.tenant_id,
        refund_id=refund.id,
        order_id=refund.order_id,
        order_no=refund.order_no,
        review_group=refund.review_group,
        agent=refund.decided_by,
    )
    feedback.request_feedback(uow, subject)
    outbox.add(uow, _succeeded(refund))


def _succeeded(refund: Refund) -> RefundSucceeded:
    assert refund.refunded_at is not None
    return RefundSucceeded(
        tenant_id=refund.tenant_id,
        refund_id=refund.id,
        order_id=refund.order_id,
        order_no=refund.order_no,
        scope=refund.scope,
        gateway=refund.gateway,
        trade_no=refund.trade_no,
        amount=refund.amount,
        currency=refund.currency,
        refunded_at=refund.refunded_at,
    )


def _facts(uow: UnitOfWork, refund: Refund) -> RefundFacts:
    app_id, mch_id = (None, None)
    if refund.gateway is not None:
        app_id, mch_id = gateway_accounts(uow.session, refund.tenant_id, refund.gateway)
    assert refund.refunded_at is not None
    return project(
        RefundFacts,
        refund,
        refund_id=refund.id,
        gateway_app_id=app_id,
        gateway_mch_id=mch_id,
        gateway_result=dict(refund.gateway_result or {}),
    )
