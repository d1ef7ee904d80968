"""Console stock pages: levels per SKU and warehouse, the ledger, and the movement form.

``/console/stock?sku=A,B`` searches exact SKUs; ``/console/stock/{sku}`` is one SKU, with its
ledger and (for roles that write stock) the movement form, which posts back under that path so
an error comes back to the same SKU as a flash message.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from oms.console import forms
from oms.console import queries as console_queries
from oms.console.deps import Db, actor_of, see_other
from oms.console.render import render
from oms.console.session import permitted, posting_permitted
from oms.inventory import service as stock_service
from oms.users.schemas import SessionUser

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)
StockReader = Annotated[SessionUser, Depends(permitted("stock:read"))]
StockWriter = Annotated[SessionUser, Depends(posting_permitted("stock:write"))]


def stock_url(sku: str, **params: str) -> str:
    """The page of one SKU (any characters, even ``/``), with optional query parameters."""
    query = f"?{urlencode(params)}" if params else ""
    return f"/console/stock/{quote(sku, safe='')}{query}"


@router.get("/stock", response_class=HTMLResponse)
def stock_search(
    request: Request, db: Db, user: StockReader, sku: str | None = None
) -> HTMLResponse:
    """Levels of the SKUs typed in the search box (exact, separated by commas or spaces)."""
    page = console_queries.stock_page(db, user, forms.sku_list(sku))
    return render(
        request,
        "stock.html",
        user=user,
        active="stock",
        stock=page,
        query=sku or "",
        csrf_token=user.csrf_token,
    )


@router.get("/stock/{sku:path}", response_class=HTMLResponse)
def stock_item(
    request: Request,
    db: Db,
    user: StockReader,
    sku: str,
    recorded: str | None = None,
    error: str | None = None,
) -> HTMLResponse:
    """One SKU: levels in total and per warehouse, its ledger, and the movement form."""
    page = console_queries.stock_page(db, user, [sku.strip()] if sku.strip() else [])
    return render(
        request,
        "stock.html",
        user=user,
        active="stock",
        stock=page,
        query=sku,
        csrf_token=user.csrf_token,
        recorded=recorded,
        error_code=error,
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
) -> RedirectResponse:
    """Post one movement, compare-and-set on the row the page showed (stale → flash)."""
    command = forms.movement_command(
        sku=sku, warehouse=warehouse, kind=kind, qty=qty, reason=reason, versions=expected_version
    )
    result = stock_service.record_movement(db, actor_of(request, user), command)
    return see_other(stock_url(sku, recorded=result.ledger_id))
