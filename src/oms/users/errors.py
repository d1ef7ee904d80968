"""Errors of console users and their sign-in, each with a stable code."""

from __future__ import annotations

from oms.core.errors import AppError

__all__ = [
    "AccountLocked",
    "CsrfFailed",
    "EmailTaken",
    "InvalidCredentials",
    "LastAdmin",
    "LoginThrottled",
    "SelfChange",
    "UserDisabled",
    "UserNotFound",
    "WeakPassword",
]


class UserNotFound(AppError):
    code = "ERR_USER_NOT_FOUND"
    http_status = 404
    title = "User not found"


class EmailTaken(AppError):
    code = "ERR_USER_EMAIL_TAKEN"
    http_status = 409
    title = "A user with this e-mail address already exists"


class WeakPassword(AppError):
    code = "ERR_USER_WEAK_PASSWORD"
    http_status = 422
    title = "The password is too short"


class InvalidCredentials(AppError):
    code = "ERR_AUTH_INVALID_CREDENTIALS"
    http_status = 401
    title = "Wrong e-mail address or password"


class AccountLocked(AppError):
    code = "ERR_AUTH_ACCOUNT_LOCKED"
    http_status = 423
    title = "Too many failed sign-ins; the account is locked for a while"


class CsrfFailed(AppError):
    code = "ERR_AUTH_CSRF_FAILED"
    http_status = 403
    title = "The form's security token is missing or wrong; reload the page"


class LoginThrottled(AppError):
    code = "ERR_AUTH_RATE_LIMITED"
    http_status = 429
    title = "Too many sign-in attempts from this address; wait a moment"


class UserDisabled(AppError):
    code = "ERR_AUTH_USER_DISABLED"
    http_status = 403
    title = "This account has been disabled; ask an administrator of your shop"


class LastAdmin(AppError):
    code = "ERR_USER_LAST_ADMIN"
    http_status = 409
    title = "The shop needs at least one enabled admin"


class SelfChange(AppError):
    code = "ERR_USER_SELF_CHANGE"
    http_status = 409
    title = "You cannot change your own role or disable yourself; ask another admin"
