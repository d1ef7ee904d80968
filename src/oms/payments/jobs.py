"""Jobs the payments domain runs from the outbox: double confirmation."""

from __future__ import annotations

from functools import partial

from oms.core.jobs import JobRegistry, JobRun
from oms.core.uow import Database
from oms.payments.confirmation import QUERY_TIMEOUT_SECONDS, confirm_payment
from oms.payments.events import PaymentConfirmationDue

__all__ = ["register"]


def confirm(
    db: Database, event: PaymentConfirmationDue, run: JobRun, *, query_timeout: float
) -> None:
    """Ask the gateway's query API, then pay the order or open a ticket."""
    confirm_payment(
        db,
        tenant_id=event.tenant_id,
        payment_id=event.payment_id,
        is_last_attempt=run.is_last_attempt,
        timeout=query_timeout,
    )


def register(registry: JobRegistry, *, query_timeout: float = QUERY_TIMEOUT_SECONDS) -> None:
    """Attach the confirmation handler (``query_timeout``: seconds per gateway query)."""
    registry.handle(PaymentConfirmationDue, partial(confirm, query_timeout=query_timeout))
