"""Jobs of the refunds domain: execute refunds, refund orphaned payments, the SLA sweep."""

from __future__ import annotations

from oms.config import Settings
from oms.core.jobs import Job, register_handler, register_periodic
from oms.core.uow import Database
from oms.payments.events import PAYMENT_ORPHANED
from oms.refunds import events
from oms.refunds.execution import GATEWAY_TIMEOUT_SECONDS, execute_refund
from oms.refunds.orphans import refund_orphaned_payment
from oms.refunds.sla import sweep_red_refunds

__all__ = ["SLA_SWEEP_SECONDS", "register"]

SLA_SWEEP_SECONDS = 300


def register(settings: Settings, *, timeout: float = GATEWAY_TIMEOUT_SECONDS) -> None:
    """Attach the refund handlers and the SLA sweep to the job runner."""

    def execute(db: Database, job: Job) -> None:
        execute_refund(
            db,
            tenant_id=job.tenant_id,
            refund_id=str(job.payload["refund_id"]),
            is_last_attempt=job.attempts >= settings.job_max_attempts,
            timeout=timeout,
        )

    def orphaned(db: Database, job: Job) -> None:
        refund_orphaned_payment(db, tenant_id=job.tenant_id, payload=job.payload)

    register_handler(events.REFUND_EXECUTE, execute)
    register_handler(PAYMENT_ORPHANED, orphaned)
    register_periodic("refund-sla", SLA_SWEEP_SECONDS, sweep_red_refunds)
