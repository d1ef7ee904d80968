"""The stock list (every SKU, paged, filtered, sorted) and the low-stock rule's form data.

``/console/stock`` without a ``sku`` search lists every SKU of the tenant; its filters come
from the query string and are parsed leniently (a blank field means "any"), as forms.py does.
Product names come from the orders domain, which is the only place oms knows them.
"""

from __future__ import annotations

from dataclasses import dataclass

from oms.alerts import low_stock
from oms.alerts import service as alert_routes
from oms.alerts.low_stock import LowStockRuleIn, LowStockRuleOut
from oms.alerts.schemas import RouteOut
from oms.console.pages import can
from oms.core.errors import ValidationFailed
from oms.core.paging import PageRequest
from oms.core.uow import Database
from oms.inventory import queries as stock_queries
from oms.inventory.schemas import MAX_QTY, StockLevel, WarehouseOut
from oms.orders import sku_names
from oms.users.schemas import SessionUser

__all__ = [
    "LIST_SIZE",
    "StockList",
    "StockListFilter",
    "low_stock_command",
    "stock_list",
    "stock_list_filter",
]

LIST_SIZE = 50


@dataclass(frozen=True, slots=True)
class StockListFilter:
    q: str | None
    is_below_safety: bool
    available_max: int | None
    sort: str
    cursor: str | None

    def params(self) -> dict[str, str]:
        """The filters as query parameters (for the next page's link), without the cursor."""
        found = {"q": self.q or "", "sort": self.sort if self.sort != "sku" else ""}
        found["below_safety"] = "1" if self.is_below_safety else ""
        found["available_max"] = "" if self.available_max is None else str(self.available_max)
        return {key: value for key, value in found.items() if value}


@dataclass(frozen=True, slots=True)
class StockList:
    """One page of SKUs with their names, and what the page's forms need."""

    levels: list[StockLevel]
    names: dict[str, str]
    next_cursor: str | None
    warehouses: list[WarehouseOut]
    rule: LowStockRuleOut | None
    routes: list[RouteOut]


def stock_list_filter(
    *,
    q: str | None,
    below_safety: str | None,
    available_max: str | None,
    sort: str | None,
    cursor: str | None,
) -> StockListFilter:
    """The list's filters. Raises: ERR_VALIDATION (``available_max`` not a whole number ≥ 0)."""
    bound: int | None = None
    if available_max and available_max.strip():
        text = available_max.strip()
        if not text.isdigit() or int(text) > MAX_QTY:
            raise ValidationFailed(f"not a whole number ≥ 0: {text!r}", field="available_max")
        bound = int(text)
    return StockListFilter(
        q=(q or "").strip()[:64] or None,
        is_below_safety=below_safety in {"1", "true", "on"},
        available_max=bound,
        sort=sort if sort in stock_queries.SKU_SORTS else "sku",
        cursor=cursor or None,
    )


def stock_list(db: Database, user: SessionUser, flt: StockListFilter) -> StockList:
    """One page of the tenant's SKUs; ``q`` matches a SKU prefix or a product name.

    Raises: ERR_VALIDATION (a cursor of another sort or list).
    """
    named = tuple(sku_names.skus_named(db, user.tenant_id, flt.q)) if flt.q else ()
    query = stock_queries.SkuFilter(
        prefix=flt.q,
        named=named,
        is_below_safety=flt.is_below_safety,
        available_max=flt.available_max,
        sort=flt.sort,
    )
    first = PageRequest(LIST_SIZE, flt.cursor)
    page = stock_queries.sku_page(db, user.tenant_id, query, page=first)
    names = sku_names.sku_names(db, user.tenant_id, [level.sku for level in page.items])
    may_write = can(user.role, "stock:write")
    places = stock_queries.warehouses(db, user.tenant_id) if may_write else []
    may_alert = can(user.role, "alerts:manage")
    rule = low_stock.get_low_stock_rule(db, user.tenant_id) if may_alert else None
    routes = alert_routes.list_routes(db, user.tenant_id) if may_alert else []
    return StockList(page.items, names, page.next_cursor, places, rule, routes)


def low_stock_command(*, threshold: str, route_id: str) -> LowStockRuleIn:
    """The low-stock rule's form. Raises: ERR_VALIDATION (threshold not a whole number ≥ 0)."""
    text = threshold.strip()
    if not text.isdigit() or int(text) > MAX_QTY:
        raise ValidationFailed(f"not a whole number ≥ 0: {text!r}", field="threshold")
    return LowStockRuleIn(threshold=int(text), route_id=route_id.strip() or None)
