"""Console routes under ``/console``: thin views that parse, call one function, render.

``install`` mounts the router, the vendored static files and the console's error pages.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from oms.config import Settings
from oms.console import (
    finance_views,
    forms,
    refund_views,
    stock_views,
    ticket_views,
    voucher_views,
    webhook_views,
)
from oms.console import queries as console_queries
from oms.console.deps import Db, actor_of, see_other
from oms.console.render import console_error, login_page, render, safe_next
from oms.console.session import (
    LANG_COOKIE,
    SESSION_COOKIE,
    CurrentUser,
    LoginCsrf,
    PostingUser,
    clear_session_cookie,
    permitted,
    posting_permitted,
    set_session_cookie,
)
from oms.core import jobs
from oms.core.errors import AppError, ValidationFailed
from oms.orders import queries as order_queries
from oms.orders import service as order_service
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
        response = see_other(f"/console/login?{urlencode({'next': safe_next(next)})}")
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
    """Sign in; failures re-render the form (see ``render.console_error``)."""
    login = users.log_in(db, email=email, password=password)
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


@router.get("/orders", response_class=HTMLResponse)
def orders_list(
    request: Request,
    db: Db,
    user: CurrentUser,
    status: str | None = None,
    channel: str | None = None,
    created_from: str | None = None,
    created_to: str | None = None,
    q: str | None = None,
    cursor: str | None = None,
) -> HTMLResponse:
    """Orders newest first, filtered, with a next-page link."""
    flt = forms.order_filter(
        status=status,
        channel=channel,
        created_from=created_from,
        created_to=created_to,
        q=q,
        cursor=cursor,
        timezone=user.timezone,
    )
    settings: Settings = request.app.state.settings
    listed = order_queries.list_orders(
        db, user.tenant_id, flt, overlap_s=settings.sync_overlap_seconds
    )
    params = {k: v for k, v in request.query_params.items() if k != "cursor" and v}
    next_url = (
        f"/console/orders?{urlencode(params | {'cursor': listed.page.next_cursor})}"
        if listed.page.next_cursor
        else None
    )
    return render(
        request,
        "orders.html",
        user=user,
        active="orders",
        page=listed.page,
        filters=params,
        next_url=next_url,
    )


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order_page(
    request: Request,
    db: Db,
    user: CurrentUser,
    order_id: str,
    done: str | None = None,
    outcome: str | None = None,
    error: str | None = None,
) -> HTMLResponse:
    """One order with its lines, amounts, state provenance panel and allowed events."""
    detail = console_queries.order_detail(db, user, order_id)
    return render(
        request,
        "order.html",
        user=user,
        active="orders",
        detail=detail,
        csrf_token=user.csrf_token,
        done=done,
        outcome=outcome,
        error_code=error,
    )


@router.post("/orders/{order_id}/events")
def post_event(
    request: Request,
    db: Db,
    user: PostingUser,
    order_id: str,
    event: Annotated[str, Form(max_length=32)],
    expected_version: Annotated[int | None, Form(ge=1)] = None,
) -> RedirectResponse:
    """Apply an event as this user; refusals are recorded and shown (403 page or flash)."""
    result = order_service.apply_event(
        db, actor_of(request, user), order_id, forms.event_command(event, expected_version)
    )
    query = urlencode({"done": event, "outcome": result.outcome})
    return see_other(f"/console/orders/{order_id}?{query}")


@router.get("/jobs", response_class=HTMLResponse)
def jobs_list(
    request: Request, db: Db, user: JobsReader, retried: str | None = None, error: str | None = None
) -> HTMLResponse:
    """The outbox backlog by status and the dead letters with their errors."""
    page = console_queries.jobs_page(db, user)
    return render(
        request,
        "jobs.html",
        user=user,
        active="jobs",
        jobs=page,
        csrf_token=user.csrf_token,
        retried=retried,
        error_code=error,
    )


@router.post("/jobs/retry")
def retry_job(
    db: Db, user: JobsRetrier, job_id: Annotated[str, Form(max_length=36)]
) -> RedirectResponse:
    """Queue a dead letter again."""
    jobs.retry_job(db, tenant_id=user.tenant_id, job_id=job_id)
    return see_other(f"/console/jobs?{urlencode({'retried': job_id})}")


def install(app: FastAPI) -> None:
    """Mount the console: static files, routes, and HTML error pages under /console."""
    app.mount("/console/static", StaticFiles(directory=STATIC_DIR), name="console-static")
    for pages in (
        router,
        stock_views.router,
        ticket_views.router,
        refund_views.router,
        finance_views.router,
        voucher_views.router,
        webhook_views.router,
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
