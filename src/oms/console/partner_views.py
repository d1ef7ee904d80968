"""The partner's console page: its shops at a glance (``oms.partners.overview``).

A partner has no console account: it shows its partner key in the form, each time, and the
page answers that request only (the key is never stored, in a cookie or anywhere else). The
form carries the sign-in form's double-submit CSRF token.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from oms.console.deps import Db
from oms.console.render import DEFAULT_LAG_MINUTES, partner_page
from oms.console.session import LoginCsrf
from oms.core.auth import authenticate_partner
from oms.core.paging import MAX_LIMIT, PageRequest
from oms.partners import overview

__all__ = ["router"]

router = APIRouter(prefix="/console/partner", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def partner_form(request: Request) -> HTMLResponse:
    """The form that asks for the partner key."""
    return partner_page(request)


@router.post("", response_class=HTMLResponse, dependencies=[LoginCsrf])
def partner_overview(
    request: Request,
    db: Db,
    partner_key: Annotated[str, Form(max_length=200)],
    lag_minutes: Annotated[int, Form(ge=1, le=30 * 1440)] = DEFAULT_LAG_MINUTES,
) -> HTMLResponse:
    """The partner's shops (the first page of the overview), lagging ones flagged."""
    caller = authenticate_partner(db, partner_key.strip())
    threshold = timedelta(minutes=lag_minutes)
    shown = overview.partner_overview(
        db, caller, PageRequest(limit=MAX_LIMIT), lag_threshold=threshold
    )
    return partner_page(request, shown=shown, lag_minutes=lag_minutes)
