"""Console routes under ``/console``: thin views that parse, call one function, render.

``install`` mounts the router, the vendored static files and the console's error pages.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from oms.console import (
    access_views,
    accounting_views,
    admin_views,
    finance_views,
    fulfilment_report_views,
    fulfilment_views,
    notification_views,
    order_views,
    partner_views,
    refund_views,
    risk_views,
    stock_views,
    ticket_views,
    tracking_page,
    voucher_views,
    webhook_views,
)
from oms.console import queries as console_queries
from oms.console.deps import Cursor, Db, Flashed, FormId, next_url, see_other
from oms.console.render import console_error, login_page, render, safe_next
from oms.console.session import (
    LANG_COOKIE,
    SESSION_COOKIE,
    LoginCsrf,
    PostingUser,
    clear_session_cookie,
    permitted,
    posting_permitted,
    set_session_cookie,
)
from oms.core import jobs
from oms.core.errors import AppError, ValidationFailed
from oms.users import service as users
from oms.users.schemas import LOCALES, SessionUser

__all__ = ["install", "router"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
router = APIRouter(prefix="/console", include_in_schema=False)
JobsReader = Annotated[SessionUser, Depends(permitted("jobs:read"))]
JobsRetrier = Annotated[SessionUser, Depends(posting_permitted("jobs:retry"))]


@router.get("")
def home() -> RedirectResponse:
    return see_other("/console/orders")


@router.get("/login")
def login_form(request: Request, next: str | None = None, lang: str | None = None) -> Response:
    """The sign-in form; ``?lang=en`` switches its language before anyone signs in."""
    if lang in LOCALES:
        response = see_other("/console/login", next=safe_next(next))
        response.set_cookie(LANG_COOKIE, lang, path="/console", samesite="lax")
        return response
    return login_page(request, next_url=next)


@router.post("/login", dependencies=[LoginCsrf])
def login_submit(
    request: Request,
    db: Db,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form()] = "/console/orders",
) -> RedirectResponse:
    """Sign in; failures re-render the form (see ``render.console_error``).

    Each attempt counts against the client's IP first (429 past the limit, before any
    password is checked), so guessing and locking accounts are not free.
    """
    throttle = request.app.state.login_throttle
    throttle.admit(request.client.host if request.client else None)
    login = users.log_in(db, email=email, password=password, throttle=throttle)
    response = see_other(safe_next(next))
    set_session_cookie(request, response, login)
    return response


@router.post("/logout")
def logout(request: Request, db: Db, user: PostingUser) -> RedirectResponse:
    users.log_out(db, request.cookies.get(SESSION_COOKIE))
    response = see_other("/console/login")
    clear_session_cookie(response)
    return response


@router.post("/language")
def switch_language(
    db: Db,
    user: PostingUser,
    locale: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/console/orders",
) -> RedirectResponse:
    """Store the user's language; every page after this renders in it."""
    users.set_locale(db, tenant_id=user.tenant_id, user_id=user.user_id, locale=locale)
    return see_other(safe_next(next))


@router.get("/jobs", response_class=HTMLResponse)
def jobs_list(
    request: Request,
    db: Db,
    user: JobsReader,
    notice: Flashed,
    retried: str | None = None,
    cursor: Cursor = None,
) -> HTMLResponse:
    """The outbox backlog by status and the dead letters with their errors, a page at a time."""
    page = console_queries.jobs_page(db, user, cursor=cursor)
    more = next_url("/console/jobs", page.next_cursor)
    return render(
        request,
        "jobs.html",
        user=user,
        active="jobs",
        notice=notice,
        jobs=page,
        next_url=more,
        retried=retried,
    )


@router.post("/jobs/retry")
def retry_job(db: Db, user: JobsRetrier, job_id: FormId) -> RedirectResponse:
    """Queue a dead letter again."""
    jobs.retry_job(db, tenant_id=user.tenant_id, job_id=job_id)
    return see_other("/console/jobs", retried=job_id)


def install(app: FastAPI) -> None:
    """Mount the console: static files, routes, and HTML error pages under /console."""
    app.mount("/console/static", StaticFiles(directory=STATIC_DIR), name="console-static")
    for pages in (
        router,
        order_views.router,
        stock_views.router,
        ticket_views.router,
        fulfilment_views.router,
        fulfilment_report_views.router,
        refund_views.router,
        risk_views.router,
        notification_views.router,
        finance_views.router,
        voucher_views.router,
        accounting_views.router,
        webhook_views.router,
        access_views.router,
        admin_views.router,
        partner_views.router,
        tracking_page.router,
    ):
        app.include_router(pages)
    api_handler = app.exception_handlers[AppError]
    api_invalid = app.exception_handlers[RequestValidationError]

    async def handle(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/console") and isinstance(exc, AppError):
            return await console_error(request, exc)
        return await _answer(api_handler, request, exc)

    async def handle_invalid(request: Request, exc: Exception) -> Response:
        # A form field the framework refused is a flash message too, not problem+json.
        if request.url.path.startswith("/console"):
            return await console_error(request, ValidationFailed("the form is not valid"))
        return await _answer(api_invalid, request, exc)

    app.add_exception_handler(AppError, handle)
    app.add_exception_handler(RequestValidationError, handle_invalid)


async def _answer(handler: Any, request: Request, exc: Exception) -> Response:
    response = handler(request, exc)
    answer: Response = await response if inspect.isawaitable(response) else response
    return answer
