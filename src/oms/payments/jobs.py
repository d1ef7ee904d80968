"""Jobs the payments domain runs from the outbox: double confirmation."""

from __future__ import annotations

from oms.config import Settings
from oms.core.jobs import Job, register_handler
from oms.core.uow import Database
from oms.payments import events
from oms.payments.confirmation import QUERY_TIMEOUT_SECONDS, confirm_payment

__all__ = ["register"]


def register(settings: Settings, *, query_timeout: float = QUERY_TIMEOUT_SECONDS) -> None:
    """Attach the confirmation handler; it knows the runner's last attempt from ``settings``."""

    def confirm(db: Database, job: Job) -> None:
        confirm_payment(
            db,
            tenant_id=job.tenant_id,
            payment_id=str(job.payload["payment_id"]),
            is_last_attempt=job.attempts >= settings.job_max_attempts,
            timeout=query_timeout,
        )

    register_handler(events.PAYMENT_CONFIRM, confirm)
