"""Product names of SKUs as the orders know them (oms keeps no product catalogue).

The name of a SKU is the one on its newest order line; the stock pages show it next to the
SKU and search it, so a warehouse can find "龙井" without knowing ``TEA-LJ-250``.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from oms.core.uow import Database
from oms.orders.models import Order, OrderLine

__all__ = ["MAX_NAMED_SKUS", "sku_names", "skus_named"]

#: How many SKUs a name search may return (a search term, not an export).
MAX_NAMED_SKUS = 200


def sku_names(db: Database, tenant_id: str, skus: Sequence[str]) -> dict[str, str]:
    """SKU → the product name on its newest order line, for the SKUs ever ordered."""
    if not skus:
        return {}
    newest = (
        select(OrderLine.sku, func.max(Order.placed_at).label("placed_at"))
        .join(Order, (Order.tenant_id == OrderLine.tenant_id) & (Order.id == OrderLine.order_id))
        .where(OrderLine.tenant_id == tenant_id, OrderLine.sku.in_(list(skus)))
        .group_by(OrderLine.sku)
        .subquery()
    )
    stmt = (
        select(OrderLine.sku, OrderLine.name)
        .join(Order, (Order.tenant_id == OrderLine.tenant_id) & (Order.id == OrderLine.order_id))
        .join(newest, (newest.c.sku == OrderLine.sku) & (newest.c.placed_at == Order.placed_at))
        .where(OrderLine.tenant_id == tenant_id)
        .order_by(OrderLine.sku, Order.id, OrderLine.line_no)
    )
    with db.reader() as session:
        names: dict[str, str] = {}
        for sku, name in session.execute(stmt):
            names.setdefault(sku, name)
        return names


def skus_named(db: Database, tenant_id: str, text: str) -> list[str]:
    """SKUs whose product name contains ``text`` (case-insensitive), at most MAX_NAMED_SKUS."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    stmt = (
        select(OrderLine.sku)
        .where(
            OrderLine.tenant_id == tenant_id,
            func.lower(OrderLine.name).like(f"%{escaped.lower()}%", escape="\\"),
        )
        .group_by(OrderLine.sku)
        .order_by(OrderLine.sku)
        .limit(MAX_NAMED_SKUS)
    )
    with db.reader() as session:
        return list(session.scalars(stmt))
