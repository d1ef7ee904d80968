"""Console vouchers (退款凭证): the chain verification, the newest vouchers, refund feedback,
and the CSV export (streamed, with a UTF-8 BOM so Excel reads the Chinese columns right)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from oms.console import queries as console_queries
from oms.console.deps import Db
from oms.console.render import render
from oms.console.session import permitted
from oms.users.schemas import SessionUser
from oms.vouchers import queries as voucher_queries

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)
VouchersReader = Annotated[SessionUser, Depends(permitted("vouchers:read"))]


@router.get("/vouchers", response_class=HTMLResponse)
def vouchers_page(request: Request, db: Db, user: VouchersReader) -> HTMLResponse:
    """Is the chain intact (or where it breaks), the latest vouchers, and the feedback figures."""
    page = console_queries.vouchers_page(db, user)
    return render(request, "vouchers.html", user=user, active="vouchers", page=page)


@router.get("/vouchers/export.csv")
def export_vouchers_csv(db: Db, user: VouchersReader) -> StreamingResponse:
    """Every voucher in sequence order as CSV, streamed, prefixed with a UTF-8 BOM."""
    lines = voucher_queries.export_vouchers(db, user.tenant_id, "csv")
    return StreamingResponse(
        _with_bom(lines),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="vouchers.csv"'},
    )


def _with_bom(lines: Iterator[str]) -> Iterator[str]:
    # Excel (the tool finance opens CSV in) takes a BOM-less file for the local code page.
    yield "\ufeff"
    yield from lines
