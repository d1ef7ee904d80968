"""What the accounting domain runs: it takes up confirmed payments and paid-out refunds, and
sends each document in a job of its own."""

from __future__ import annotations

from oms.accounting import service
from oms.accounting.events import AccountingDocumentDue
from oms.config import Settings
from oms.core.jobs import JobRegistry, JobRun
from oms.core.uow import Database
from oms.payments.events import PaymentConfirmed
from oms.refunds.events import RefundSucceeded

__all__ = ["register"]


def register(registry: JobRegistry, settings: Settings) -> None:
    """Subscribe to the payment and refund events; handle ``accounting.send``."""
    timeout = settings.accounting_timeout_seconds

    def send(db: Database, event: AccountingDocumentDue, run: JobRun) -> None:
        service.send_document(
            db,
            tenant_id=event.tenant_id,
            document_id=event.document_id,
            is_last_attempt=run.is_last_attempt,
            timeout=timeout,
        )

    registry.subscribe(
        PaymentConfirmed, "accounting", lambda db, e, _run: service.take_payment(db, e)
    )
    registry.subscribe(
        RefundSucceeded, "accounting", lambda db, e, _run: service.take_refund(db, e)
    )
    registry.handle(AccountingDocumentDue, send)
