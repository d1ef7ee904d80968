"""The planning job: an order that becomes paid gets its fulfilment plan."""

from __future__ import annotations

from oms.core.jobs import JobRegistry, JobRun
from oms.core.uow import Database
from oms.fulfilment.planning import service
from oms.orders.events import OrderStatusChanged
from oms.orders.states import OrderStatus

__all__ = ["register"]


def _order_changed(db: Database, event: OrderStatusChanged, _run: JobRun) -> None:
    """Plan a newly paid order (idempotent: a stored plan is kept)."""
    if event.to_status == OrderStatus.PAID:
        service.plan_order(db, event.tenant_id, event.order_id)


def register(registry: JobRegistry) -> None:
    """Attach the planner to order status changes."""
    registry.subscribe(OrderStatusChanged, "fulfilment.plan", _order_changed)
