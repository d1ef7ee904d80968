"""Read-only shipment queries."""

from __future__ import annotations

from sqlalchemy import select

from oms.core.uow import Database
from oms.fulfilment.models import Shipment

__all__ = ["orders_with_tracking"]

# A tracking number names one parcel; a handful of orders at most share one.
_MAX_ORDERS = 50


def orders_with_tracking(db: Database, tenant_id: str, tracking_no: str) -> list[str]:
    """The ids of the orders with a shipment under ``tracking_no`` (any carrier)."""
    stmt = (
        select(Shipment.order_id)
        .where(Shipment.tenant_id == tenant_id, Shipment.tracking_no == tracking_no.strip())
        .distinct()
        .limit(_MAX_ORDERS)
    )
    with db.reader() as session:
        return list(session.scalars(stmt))
