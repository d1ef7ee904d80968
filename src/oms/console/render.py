"""Rendering console pages, including the error pages and the login form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from oms.config import Settings
from oms.console import formatting, i18n
from oms.console.deps import Notice
from oms.console.pages import MOVEMENT_FORM_KINDS, can, navigation
from oms.console.session import SESSION_COOKIE, anonymous_locale, login_csrf_token
from oms.core.errors import AppError, AuthenticationRequired, TenantSuspended
from oms.core.paging import Page
from oms.partners.overview import DEFAULT_LAG_THRESHOLD
from oms.partners.schemas import TenantOverview
from oms.tickets.schemas import CommentOut, TicketOut
from oms.users import service as users
from oms.users.schemas import SessionUser

__all__ = [
    "DEFAULT_LAG_MINUTES",
    "console_error",
    "login_page",
    "partner_page",
    "render",
    "safe_next",
]

#: The partner page's lag threshold until the partner picks another.
DEFAULT_LAG_MINUTES = int(DEFAULT_LAG_THRESHOLD.total_seconds() // 60)

_LABELS: dict[str, Any] = {
    "STATUS_LABELS": i18n.STATUS_LABELS,
    "EVENT_LABELS": i18n.EVENT_LABELS,
    "OUTCOME_LABELS": i18n.OUTCOME_LABELS,
    "ROLE_LABELS": i18n.ROLE_LABELS,
    "CHANNEL_LABELS": i18n.CHANNEL_LABELS,
    "ZONE_LABELS": i18n.ZONE_LABELS,
    "JOB_STATUS_LABELS": i18n.JOB_STATUS_LABELS,
    "MOVEMENT_KIND_LABELS": i18n.MOVEMENT_KIND_LABELS,
    "RESERVATION_STATUS_LABELS": i18n.RESERVATION_STATUS_LABELS,
    "TICKET_STATUS_LABELS": i18n.TICKET_STATUS_LABELS,
    "TICKET_KIND_LABELS": i18n.TICKET_KIND_LABELS,
    "EXCEPTION_LABELS": i18n.EXCEPTION_LABELS,
    "TICKET_DONE_LABELS": i18n.TICKET_DONE_LABELS,
    "RISK_DONE_LABELS": i18n.RISK_DONE_LABELS,
    "DELAY_SUGGESTION_LABELS": i18n.DELAY_SUGGESTION_LABELS,
    "RISK_LEVEL_LABELS": i18n.RISK_LEVEL_LABELS,
    "RISK_RECOMMENDATION_LABELS": i18n.RISK_RECOMMENDATION_LABELS,
    "RISK_ACTION_LABELS": i18n.RISK_ACTION_LABELS,
    "NOTIFY_NODE_LABELS": i18n.NOTIFY_NODE_LABELS,
    "NOTIFY_CHANNEL_LABELS": i18n.NOTIFY_CHANNEL_LABELS,
    "NOTIFY_STATUS_LABELS": i18n.NOTIFY_STATUS_LABELS,
    "NOTIFY_DONE_LABELS": i18n.NOTIFY_DONE_LABELS,
    "RISK_BLACKLIST_KIND_LABELS": i18n.RISK_BLACKLIST_KIND_LABELS,
    "LEDGER_REF_LABELS": i18n.LEDGER_REF_LABELS,
    "VERIFICATION_LABELS": i18n.VERIFICATION_LABELS,
    "INBOX_OUTCOME_LABELS": i18n.INBOX_OUTCOME_LABELS,
    "SEVERITY_LABELS": i18n.SEVERITY_LABELS,
    "HEALTH_CHECK_LABELS": i18n.HEALTH_CHECK_LABELS,
    "SUBSCRIPTION_STATUS_LABELS": i18n.SUBSCRIPTION_STATUS_LABELS,
    "WEBHOOK_DELIVERY_STATUS_LABELS": i18n.WEBHOOK_DELIVERY_STATUS_LABELS,
    "REFUND_STATUS_LABELS": i18n.REFUND_STATUS_LABELS,
    "REFUND_REASON_LABELS": i18n.REFUND_REASON_LABELS,
    "REFUND_DONE_LABELS": i18n.REFUND_DONE_LABELS,
    "SLA_COLOUR_LABELS": i18n.SLA_COLOUR_LABELS,
    "SLA_COLOURS": tuple(i18n.SLA_COLOUR_LABELS),
    "STATEMENT_FORMAT_LABELS": i18n.STATEMENT_FORMAT_LABELS,
    "FINANCE_DONE_LABELS": i18n.FINANCE_DONE_LABELS,
    "VOUCHER_PROBLEM_LABELS": i18n.VOUCHER_PROBLEM_LABELS,
    "ACCOUNTING_STATUS_LABELS": i18n.ACCOUNTING_STATUS_LABELS,
    "ACCOUNTING_KIND_LABELS": i18n.ACCOUNTING_KIND_LABELS,
    "ACCOUNTING_STATE_LABELS": i18n.ACCOUNTING_STATE_LABELS,
    "ACCOUNTING_DONE_LABELS": i18n.ACCOUNTING_DONE_LABELS,
    "ACCOUNTING_SINK_LABELS": i18n.ACCOUNTING_SINK_LABELS,
    "DIFFERENCE_LABELS": i18n.DIFFERENCE_LABELS,
    "TRACKING_STATUS_LABELS": i18n.TRACKING_STATUS_LABELS,
    "TRACKING_SUB_STATUS_LABELS": i18n.TRACKING_SUB_STATUS_LABELS,
    "SUGGESTED_ACTION_LABELS": i18n.SUGGESTED_ACTION_LABELS,
    "BUYER_STEP_LABELS": i18n.BUYER_STEP_LABELS,
    "MOVEMENT_FORM_KINDS": MOVEMENT_FORM_KINDS,
    "ERROR_MESSAGES": i18n.ERROR_MESSAGES,
    "LOCALES": i18n.LOCALES,
    "LANGUAGE_NAMES": i18n.LANGUAGE_NAMES,
}


def render(
    request: Request,
    template: str,
    *,
    user: SessionUser | None,
    status_code: int = 200,
    active: str = "",
    locale: str | None = None,
    notice: Notice | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render ``template`` in the user's language with the navigation of their role, the
    user's CSRF token for its forms and, with ``notice``, its flash line (``done``,
    ``error_code``)."""
    settings: Settings = request.app.state.settings
    chosen = locale or (user.locale if user else anonymous_locale(request))
    language = chosen if chosen in i18n.LOCALES else i18n.DEFAULT_LOCALE
    env = i18n.environment(language)
    gettext = i18n.translations(language).gettext
    if user is not None:
        context.setdefault("csrf_token", user.csrf_token)
    if notice is not None:
        context.update(done=notice.done, error_code=notice.error)
    tz = user.timezone if user else settings.default_timezone
    page = env.get_template(template).render(
        **_LABELS,
        request=request,
        user=user,
        nav=navigation(user.role) if user else [],
        active=active,
        locale=chosen,
        tz=tz,
        eta_words=lambda s, now: formatting.eta_words(
            s.eta_from, s.eta_to, now, tz, chosen, gettext
        ),
        money=formatting.money,
        reason_text=lambda reason: i18n.reason_text(reason.code, reason.params, gettext),
        plan_reason_text=lambda reason: i18n.plan_reason_text(
            str(reason.get("code")), reason.get("params") or {}, gettext
        ),
        local_time=formatting.local_time,
        mask_phone=formatting.mask_phone,
        title_in=lambda title: formatting.title_in(title, chosen),
        ticket_title=lambda ticket: _ticket_title(ticket, chosen, gettext),
        comment_text=lambda comment: _comment_text(comment, gettext),
        age=formatting.age,
        age_of_seconds=formatting.age_of_seconds,
        can=lambda permission: user is not None and can(user.role, permission),
        **context,
    )
    return HTMLResponse(page, status_code=status_code)


def safe_next(target: str | None) -> str:
    """Only redirect within the console, never to another site (``//evil``)."""
    if target and target.startswith("/console") and not target.startswith("//"):
        return target
    return "/console/orders"


def login_page(
    request: Request, *, next_url: str | None, error: AppError | None = None
) -> HTMLResponse:
    """The sign-in form, with its double-submit CSRF cookie."""
    holder = Response()
    token = login_csrf_token(request, holder)
    response = render(
        request,
        "login.html",
        user=None,
        status_code=error.http_status if error else 200,
        csrf_token=token,
        next_url=safe_next(next_url),
        error=error,
    )
    response.headers.append("set-cookie", holder.headers["set-cookie"])
    if error is not None and "retry_after" in error.details:
        response.headers["Retry-After"] = str(error.details["retry_after"])
    return response


def partner_page(
    request: Request,
    *,
    shown: Page[TenantOverview] | None = None,
    lag_minutes: int = DEFAULT_LAG_MINUTES,
    error: AppError | None = None,
) -> HTMLResponse:
    """The partner page (``partner_views``): the key form with its double-submit CSRF cookie,
    the overview when there is one, a refusal's flash line."""
    holder = Response()
    token = login_csrf_token(request, holder)
    response = render(
        request,
        "partner.html",
        user=None,
        status_code=error.http_status if error else 200,
        csrf_token=token,
        overview=shown,
        lagging=sum(row.is_lagging for row in shown.items) if shown else 0,
        lag_minutes=lag_minutes,
        error=error,
    )
    response.headers.append("set-cookie", holder.headers["set-cookie"])
    return response


async def console_error(request: Request, error: AppError) -> Response:
    """Errors as people see them: sign-in redirects, flash messages, 403/404 pages."""
    path = request.url.path
    if path == "/console/partner" and request.method == "POST":
        return partner_page(request, error=error)  # no console session: the form again
    if isinstance(error, AuthenticationRequired):
        target = path if request.method == "GET" else "/console/orders"
        return RedirectResponse(f"/console/login?next={quote(target)}", status_code=303)
    if path == "/console/login" and request.method == "POST":
        return login_page(request, next_url=None, error=error)
    user = await _optional_user(request)
    if request.method == "POST" and error.http_status in (409, 422) and user is not None:
        back = path.rsplit("/", 1)[0]
        return RedirectResponse(f"{back}?error={quote(error.code)}", status_code=303)
    return render(request, "error.html", user=user, status_code=error.http_status, error=error)


async def _optional_user(request: Request) -> SessionUser | None:
    try:
        return await run_in_threadpool(
            users.authenticate_session, request.app.state.db, request.cookies.get(SESSION_COOKIE)
        )
    except (AuthenticationRequired, TenantSuspended):
        return None


def _ticket_title(ticket: TicketOut, locale: str, gettext: Callable[[str], str]) -> str:
    """A ticket's title in the reader's language: from its code when it has one, else the
    reader's half of the stored text (tickets opened before codes)."""
    text = i18n.ticket_text(
        i18n.TICKET_TITLE_LABELS, ticket.title_code, ticket.title_params, gettext
    )
    return text if text is not None else formatting.title_in(ticket.title, locale)


def _comment_text(comment: CommentOut, gettext: Callable[[str], str]) -> str:
    """A comment as the reader reads it: oms's own from its code, a person's as written."""
    text = i18n.ticket_text(i18n.TICKET_COMMENT_LABELS, comment.code, comment.params, gettext)
    return text if text is not None else comment.body
