"""Jobs of the refunds domain: execute refunds, refund orphaned payments, the SLA sweep; and
the handler of gateway refund notifications, plugged into the payments port."""

from __future__ import annotations

from functools import partial

from oms.core.jobs import JobRegistry, JobRun
from oms.core.uow import Database
from oms.payments import ports
from oms.payments.events import PaymentOrphaned
from oms.payments.gateways.base import RefundNotified
from oms.refunds.events import RefundExecutionDue
from oms.refunds.execution import GATEWAY_TIMEOUT_SECONDS, execute_refund
from oms.refunds.orphans import refund_orphaned_payment
from oms.refunds.service import confirm_from_notification
from oms.refunds.sla import sweep_red_refunds

__all__ = ["SLA_SWEEP_SECONDS", "register"]

SLA_SWEEP_SECONDS = 300


def execute(db: Database, event: RefundExecutionDue, run: JobRun, *, timeout: float) -> None:
    """Send the refund through its gateway and record the answer."""
    execute_refund(
        db,
        tenant_id=event.tenant_id,
        refund_id=event.refund_id,
        is_last_attempt=run.is_last_attempt,
        timeout=timeout,
    )


def orphaned(db: Database, event: PaymentOrphaned, _run: JobRun) -> None:
    """Create (once) an approved refund of the orphaned payment and queue it."""
    refund_orphaned_payment(
        db, tenant_id=event.tenant_id, payment_id=event.payment_id, order_id=event.order_id
    )


def register(registry: JobRegistry, *, timeout: float = GATEWAY_TIMEOUT_SECONDS) -> None:
    """Attach the refund handlers and the SLA sweep (``timeout``: seconds per gateway call)."""
    registry.handle(RefundExecutionDue, partial(execute, timeout=timeout))
    registry.handle(PaymentOrphaned, orphaned)
    registry.every("refund-sla", SLA_SWEEP_SECONDS, sweep_red_refunds)
    ports.handle_refund_notifications(_refund_notified)


def _refund_notified(
    db: Database, tenant_id: str, notified: RefundNotified, *, source: str, inbox_id: str
) -> str:
    return confirm_from_notification(
        db,
        tenant_id,
        refund_id=notified.refund_id,
        succeeded=notified.succeeded,
        status=notified.status,
        gateway_ref=notified.gateway_ref,
        amount=notified.amount,
        cumulative=notified.cumulative,
        source=source,
        inbox_id=inbox_id,
    )
