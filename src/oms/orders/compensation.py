"""Compensation for a paid order whose stock could not be had.

Money and goods stay balanced: a paid order either holds deducted stock for every line, or it
is flagged ``stock_shortage``, holds nothing, and has an open ticket (and, once refunds exist,
a refund).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from oms.core import audit
from oms.core.audit import Attempt, Outcome
from oms.core.context import Actor
from oms.core.uow import Database
from oms.inventory import reservations
from oms.orders.models import Order
from oms.tickets.service import open_ticket, open_ticket_ids
from oms.tickets.states import TicketKind

__all__ = ["compensate_stock_shortage"]


def compensate_stock_shortage(
    db: Database, *, tenant_id: str, order_id: str, lines: list[dict[str, Any]]
) -> str:
    """Release what the order still holds, open a ticket and alert; idempotent. Returns the ticket.

    Run by the ``order.stock_shortage`` job.
    """
    with db.uow() as uow:
        existing = open_ticket_ids(uow, tenant_id, order_id, TicketKind.STOCK_SHORTAGE)
        if existing:
            return existing[0]
        now = uow.clock.now()
        system = Actor.system(tenant_id, "stock-compensation")
        order_no = uow.session.scalar(
            select(Order.order_no).where(Order.tenant_id == tenant_id, Order.id == order_id)
        )
        released = reservations.release_for_order(
            uow, system, order_id, reason="stock shortage compensation", now=now
        )
        ticket_id = open_ticket(
            uow,
            tenant_id=tenant_id,
            kind=TicketKind.STOCK_SHORTAGE,
            order_id=order_id,
            assignee_role="ops",
            title=f"订单 {order_no} 已付款但库存不足 / paid order {order_no} is out of stock",
            details={"lines": lines, "released_units": released},
            now=now,
        )
        attempt = Attempt(
            aggregate_type="order",
            aggregate_id=order_id,
            event="stock_compensation",
            outcome=Outcome.APPLIED,
            source="system:stock-compensation",
            reason="paid but stock could not be deducted",
            occurred_at=now,
            details={"ticket_id": ticket_id, "lines": lines, "released_units": released},
        )
        audit.record_attempt(uow.session, system, attempt, now=now)
        uow.commit()
        return ticket_id
