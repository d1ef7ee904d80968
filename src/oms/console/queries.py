"""Console reads that combine several domain queries into one page's data."""

from __future__ import annotations

from dataclasses import dataclass

from oms.console.pages import event_actions
from oms.core import jobs
from oms.core.jobs import JobInfo
from oms.core.outbox import MessageStatus
from oms.core.uow import Database
from oms.orders import queries as order_queries
from oms.orders.schemas import OrderOut, TimelineEntry
from oms.orders.states import OrderEvent
from oms.users.schemas import SessionUser

__all__ = ["JobsPage", "OrderDetail", "jobs_page", "order_detail"]


@dataclass(frozen=True, slots=True)
class OrderDetail:
    order: OrderOut
    timeline: list[TimelineEntry]
    actions: list[OrderEvent]


@dataclass(frozen=True, slots=True)
class JobsPage:
    counts: dict[str, int]
    dead: list[JobInfo]


def order_detail(db: Database, user: SessionUser, order_id: str) -> OrderDetail:
    """An order, its provenance timeline and the events this user may apply now.

    Raises: ERR_ORDER_NOT_FOUND (also for another tenant's order).
    """
    order = order_queries.get_order(db, user.tenant_id, order_id)
    timeline = order_queries.order_timeline(db, user.tenant_id, order_id)
    return OrderDetail(order, timeline, event_actions(order, user.role))


def jobs_page(db: Database, user: SessionUser, *, limit: int = 100) -> JobsPage:
    """The tenant's outbox backlog by status and its newest dead letters."""
    counts = jobs.count_jobs(db, tenant_id=user.tenant_id)
    for status in (MessageStatus.PENDING, MessageStatus.RUNNING, MessageStatus.DEAD):
        counts.setdefault(status, 0)
    dead = jobs.list_jobs(db, tenant_id=user.tenant_id, status=MessageStatus.DEAD, limit=limit)
    return JobsPage(counts, dead)
