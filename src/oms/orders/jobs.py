"""Jobs the orders domain runs from the outbox."""

from __future__ import annotations

from oms.core.jobs import Job, register_handler
from oms.core.uow import Database
from oms.orders import events, service
from oms.orders.compensation import compensate_stock_shortage

__all__ = ["register"]


def _payment_timeout_due(db: Database, job: Job) -> None:
    service.apply_payment_timeout(db, tenant_id=job.tenant_id, order_id=job.payload["order_id"])


def _stock_shortage(db: Database, job: Job) -> None:
    compensate_stock_shortage(
        db,
        tenant_id=job.tenant_id,
        order_id=job.payload["order_id"],
        lines=list(job.payload.get("lines", [])),
    )


def register() -> None:
    """Attach the orders domain's handlers to the job runner."""
    register_handler(events.ORDER_PAYMENT_TIMEOUT_DUE, _payment_timeout_due)
    register_handler(events.ORDER_STOCK_SHORTAGE, _stock_shortage)
