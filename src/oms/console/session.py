"""Console sessions over HTTP: cookies, the signed-in user, CSRF checks, permissions.

The session cookie is HttpOnly, SameSite=Lax and Secure in production. Every POST carries a
CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``) compared in constant time
with the session's; the login form, which has no session yet, uses a double-submit cookie.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from oms.config import Settings
from oms.console.pages import can
from oms.core.errors import Forbidden
from oms.core.uow import Database
from oms.users import service as users
from oms.users.errors import CsrfFailed
from oms.users.schemas import LOCALES, LoginResult, SessionUser

__all__ = [
    "COOKIE_PATH",
    "LANG_COOKIE",
    "LOGIN_CSRF_COOKIE",
    "SESSION_COOKIE",
    "CurrentUser",
    "LoginCsrf",
    "PostingUser",
    "anonymous_locale",
    "clear_session_cookie",
    "login_csrf_token",
    "permitted",
    "posting_permitted",
    "set_session_cookie",
]

SESSION_COOKIE = "oms_session"
LOGIN_CSRF_COOKIE = "oms_login_csrf"
LANG_COOKIE = "oms_lang"
COOKIE_PATH = "/console"


def _secure(request: Request) -> bool:
    settings: Settings = request.app.state.settings
    return settings.env == "production"


def set_session_cookie(request: Request, response: Response, login: LoginResult) -> None:
    max_age = int((login.expires_at - request.app.state.db.clock.now()).total_seconds())
    response.set_cookie(
        SESSION_COOKIE,
        login.token,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=COOKIE_PATH)


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax")


def login_csrf_token(request: Request, response: Response) -> str:
    """The login form's token: the one already in its cookie, or a new one set now."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    return token


def anonymous_locale(request: Request) -> str:
    """The language before sign-in: the ``oms_lang`` cookie, else the default (zh-CN)."""
    chosen = request.cookies.get(LANG_COOKIE)
    return chosen if chosen in LOCALES else LOCALES[0]


async def _current_user(request: Request) -> SessionUser:
    db: Database = request.app.state.db
    return await run_in_threadpool(
        users.authenticate_session, db, request.cookies.get(SESSION_COOKIE)
    )


CurrentUser = Annotated[SessionUser, Depends(_current_user)]


async def _sent_csrf(request: Request) -> str:
    form = await request.form()
    sent = form.get("csrf_token")
    if isinstance(sent, str) and sent:
        return sent
    return request.headers.get("x-csrf-token", "")


def _same(sent: str, expected: str) -> bool:
    return hmac.compare_digest(sent.encode(), expected.encode())


async def _posting_user(request: Request, user: CurrentUser) -> SessionUser:
    if not _same(await _sent_csrf(request), user.csrf_token):
        raise CsrfFailed()
    return user


PostingUser = Annotated[SessionUser, Depends(_posting_user)]


async def _login_csrf(request: Request) -> None:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not _same(await _sent_csrf(request), expected):
        raise CsrfFailed()


LoginCsrf = Depends(_login_csrf)


def _refuse_unless(user: SessionUser, permission: str) -> SessionUser:
    if not can(user.role, permission):
        raise Forbidden(f"role {user.role} may not {permission}", permission=permission)
    return user


def permitted(permission: str) -> Callable[..., Coroutine[Any, Any, SessionUser]]:
    """Dependency: the signed-in user, refused (403) without ``permission``."""

    async def check(user: CurrentUser) -> SessionUser:
        return _refuse_unless(user, permission)

    return check


def posting_permitted(permission: str) -> Callable[..., Coroutine[Any, Any, SessionUser]]:
    """Dependency for POSTs: CSRF-checked user, refused (403) without ``permission``."""

    async def check(user: PostingUser) -> SessionUser:
        return _refuse_unless(user, permission)

    return check
