"""Jobs the orders domain runs from the outbox."""

from __future__ import annotations

from oms.core.jobs import JobRegistry, JobRun
from oms.core.uow import Database
from oms.inventory.events import StockAvailable
from oms.orders import service, shortage
from oms.orders.events import OrderPaymentTimeoutDue

__all__ = ["register"]


def _payment_timeout_due(db: Database, event: OrderPaymentTimeoutDue, _run: JobRun) -> None:
    """Cancel the order if it is still unpaid at its deadline."""
    service.apply_payment_timeout(db, tenant_id=event.tenant_id, order_id=event.order_id)


def _stock_available(db: Database, event: StockAvailable, _run: JobRun) -> None:
    """Serve waiting short lines from the freed SKUs."""
    shortage.backfill(db, tenant_id=event.tenant_id, skus=list(event.skus))


def register(registry: JobRegistry) -> None:
    """Attach the orders domain's handlers."""
    registry.handle(OrderPaymentTimeoutDue, _payment_timeout_due)
    # The ticket of a paid-but-short order opens in the pay transaction itself; the
    # ``order.stock_shortage`` event stays for webhook subscribers.
    registry.handle(StockAvailable, _stock_available)
