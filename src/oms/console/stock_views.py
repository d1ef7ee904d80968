"""Console stock pages: levels per SKU and warehouse, the ledger, and the movement form.

``/console/stock`` lists every SKU (paged, with filters and the low-stock rule's form);
``/console/stock?sku=A,B`` searches exact SKUs; ``/console/stock/{sku}`` is one SKU, with its
ledger and (for roles that write stock) the movement form, which posts back under that path so
an error comes back to the same SKU as a flash message.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from oms.alerts import low_stock
from oms.console import forms, stock_list
from oms.console import queries as console_queries
from oms.console.deps import Cursor, Db, Flashed, FormId, actor_of, flash_after, next_url, see_other
from oms.console.render import render
from oms.console.session import permitted, posting_permitted
from oms.inventory import service as stock_service
from oms.users.schemas import SessionUser

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)
StockReader = Annotated[SessionUser, Depends(permitted("stock:read"))]
StockWriter = Annotated[SessionUser, Depends(posting_permitted("stock:write"))]
AlertManager = Annotated[SessionUser, Depends(posting_permitted("alerts:manage"))]


def stock_url(sku: str, **params: str) -> str:
    """The page of one SKU (any characters, even ``/``), with optional query parameters."""
    query = f"?{urlencode(params)}" if params else ""
    return f"/console/stock/{quote(sku, safe='')}{query}"


def _stock_html(
    request: Request, user: SessionUser, page: console_queries.StockPage, **context: Any
) -> HTMLResponse:
    return render(request, "stock.html", user=user, active="stock", stock=page, **context)


@router.get("/stock", response_class=HTMLResponse)
def stock_search(
    request: Request,
    db: Db,
    user: StockReader,
    notice: Flashed,
    sku: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    below_safety: Annotated[str | None, Query(max_length=8)] = None,
    available_max: Annotated[str | None, Query(max_length=16)] = None,
    sort: Annotated[str | None, Query(max_length=16)] = None,
    cursor: Cursor = None,
) -> HTMLResponse:
    """Exact SKUs typed in the search box; without a search, every SKU, filtered and paged."""
    if sku and sku.strip():
        page = console_queries.stock_page(db, user, forms.sku_list(sku))
        return _stock_html(request, user, page, query=sku)
    flt = stock_list.stock_list_filter(
        q=q, below_safety=below_safety, available_max=available_max, sort=sort, cursor=cursor
    )
    listing = stock_list.stock_list(db, user, flt)
    params = flt.params()
    return _stock_html(
        request,
        user,
        console_queries.StockPage([], [], []),
        notice=notice,
        query="",
        listing=listing,
        filters=flt,
        back=f"/console/stock?{urlencode(params)}" if params else "/console/stock",
        next_url=next_url("/console/stock", listing.next_cursor, params.items()),
    )


@router.post("/stock-alert")
def set_low_stock_rule(
    request: Request,
    db: Db,
    user: AlertManager,
    threshold: Annotated[str, Form(max_length=16)],
    route_id: FormId = "",
) -> RedirectResponse:
    """Set the tenant's low-stock alert rule (threshold and route) from the stock list."""
    actor = actor_of(request, user)

    def run() -> object:
        command = stock_list.low_stock_command(threshold=threshold, route_id=route_id)
        return low_stock.set_low_stock_rule(db, actor, command)

    return flash_after("/console/stock", "low_stock_rule", run)


@router.get("/stock/{sku:path}", response_class=HTMLResponse)
def stock_item(
    request: Request,
    db: Db,
    user: StockReader,
    sku: str,
    notice: Flashed,
    recorded: str | None = None,
    cursor: Cursor = None,
) -> HTMLResponse:
    """One SKU: levels in total and per warehouse, one page of its ledger, the movement form."""
    skus = [sku.strip()] if sku.strip() else []
    page = console_queries.stock_page(db, user, skus, ledger_cursor=cursor)
    more = stock_url(sku, cursor=page.ledger_next_cursor) if page.ledger_next_cursor else None
    return _stock_html(
        request, user, page, notice=notice, query=sku, recorded=recorded, next_url=more
    )


@router.post("/stock/{sku:path}/movements")
def post_movement(
    request: Request,
    db: Db,
    user: StockWriter,
    sku: str,
    kind: Annotated[str, Form(max_length=32)],
    qty: Annotated[str, Form(max_length=16)],
    warehouse: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=1000)] = "",
    expected_version: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006 (FastAPI copies it)
    back: Annotated[str, Form(max_length=2000)] = "",
) -> RedirectResponse:
    """Post one movement, compare-and-set on the row the page showed (stale → flash).

    ``back`` (the stock list, when corrected from there) is where the answer is shown.
    """
    command = forms.movement_command(
        sku=sku, warehouse=warehouse, kind=kind, qty=qty, reason=reason, versions=expected_version
    )
    if back.startswith("/console/stock?") or back == "/console/stock":
        list_url, actor = back, actor_of(request, user)
        return flash_after(
            "/console/stock",
            "recorded",
            lambda: stock_service.record_movement(db, actor, command),
            **dict(parse_qsl(list_url.partition("?")[2])),
        )
    result = stock_service.record_movement(db, actor_of(request, user), command)
    return see_other(stock_url(sku, recorded=result.ledger_id))
