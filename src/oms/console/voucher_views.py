"""Console vouchers (退款凭证): the chain verification, the newest vouchers, refund feedback."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from oms.console import queries as console_queries
from oms.console.deps import Db
from oms.console.render import render
from oms.console.session import permitted
from oms.users.schemas import SessionUser

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)
VouchersReader = Annotated[SessionUser, Depends(permitted("vouchers:read"))]


@router.get("/vouchers", response_class=HTMLResponse)
def vouchers_page(request: Request, db: Db, user: VouchersReader) -> HTMLResponse:
    """Is the chain intact (or where it breaks), the latest vouchers, and the feedback figures."""
    page = console_queries.vouchers_page(db, user)
    return render(request, "vouchers.html", user=user, active="vouchers", page=page)
