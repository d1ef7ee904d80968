"""Errors of the accounting domain."""

from __future__ import annotations

from oms.core.errors import AppError

__all__ = [
    "AccountingNotConnected",
    "AccountingUnavailable",
    "DocumentNotFound",
    "InvalidCompany",
    "InvalidSettings",
    "TokenRequired",
    "UnknownSink",
]


class InvalidCompany(AppError):
    code = "ERR_ACCOUNTING_INVALID_COMPANY"
    http_status = 422
    title = "The accounting company id (QuickBooks realm id) is missing or malformed"


class InvalidSettings(AppError):
    code = "ERR_ACCOUNTING_INVALID_SETTINGS"
    http_status = 422
    title = "An accounting connection setting is missing, unknown or malformed"


class TokenRequired(AppError):
    code = "ERR_ACCOUNTING_TOKEN_REQUIRED"
    http_status = 422
    title = "The accounting connection needs an access token"


class UnknownSink(AppError):
    code = "ERR_ACCOUNTING_UNKNOWN_SINK"
    http_status = 422
    title = "No accounting sink of this name"


class AccountingNotConnected(AppError):
    code = "ERR_ACCOUNTING_NOT_CONNECTED"
    http_status = 404
    title = "The tenant has no connection to this accounting system"


class DocumentNotFound(AppError):
    code = "ERR_ACCOUNTING_DOCUMENT_NOT_FOUND"
    http_status = 404
    title = "Accounting document not found"


class AccountingUnavailable(AppError):
    """A send that may succeed later (5xx, timeout, refused connection): the job retries."""

    code = "ERR_ACCOUNTING_UNAVAILABLE"
    http_status = 502
    title = "The accounting system did not answer; the send is retried"
