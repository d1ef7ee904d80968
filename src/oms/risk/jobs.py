"""Jobs the risk domain runs from the outbox: assess every new order (placed through the API
or taken in from a platform, both publish ``order.created``), hold a waiting one when paid."""

from __future__ import annotations

from oms.core.jobs import JobRegistry, JobRun
from oms.core.uow import Database
from oms.orders.events import OrderCreated, OrderStatusChanged
from oms.orders.states import OrderStatus
from oms.risk import service

__all__ = ["register"]


def _order_created(db: Database, event: OrderCreated, _run: JobRun) -> None:
    """Assess the new order (idempotent: an assessed order keeps its assessment)."""
    service.assess_order(db, event.tenant_id, event.order_id)


def _order_changed(db: Database, event: OrderStatusChanged, _run: JobRun) -> None:
    """Hold a newly paid order whose assessment waits for its payment."""
    if event.to_status == OrderStatus.PAID and event.from_status == OrderStatus.PENDING_PAYMENT:
        service.hold_if_awaiting(db, event.tenant_id, event.order_id)


def register(registry: JobRegistry) -> None:
    """Attach the risk domain's subscribers."""
    registry.subscribe(OrderCreated, "risk.assess", _order_created)
    registry.subscribe(OrderStatusChanged, "risk.hold_on_pay", _order_changed)
