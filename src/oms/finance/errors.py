"""Coded finance errors."""

from __future__ import annotations

from oms.core.errors import AppError

__all__ = [
    "InvalidFinanceSettings",
    "InvalidPullSource",
    "MalformedStatement",
    "MatchConflict",
    "MatchNotFound",
    "MovementNotFound",
    "PullFailed",
    "PullSourceNotFound",
    "StatementLineNotFound",
    "StatementNotFound",
    "UnsupportedStatementFormat",
]


class MalformedStatement(AppError):
    code = "ERR_FINANCE_MALFORMED_STATEMENT"
    http_status = 422
    title = "The statement file cannot be read; nothing was imported"


class UnsupportedStatementFormat(AppError):
    code = "ERR_FINANCE_UNSUPPORTED_FORMAT"
    http_status = 422
    title = "Unknown statement format (mt940, camt053 or csv)"


class InvalidFinanceSettings(AppError):
    code = "ERR_FINANCE_INVALID_SETTINGS"
    http_status = 422
    title = "The finance settings are not valid"


class MatchNotFound(AppError):
    code = "ERR_FINANCE_MATCH_NOT_FOUND"
    http_status = 404
    title = "No such match"


class StatementLineNotFound(AppError):
    code = "ERR_FINANCE_LINE_NOT_FOUND"
    http_status = 404
    title = "No such statement line"


class MovementNotFound(AppError):
    code = "ERR_FINANCE_MOVEMENT_NOT_FOUND"
    http_status = 404
    title = "No such expected movement"


class MatchConflict(AppError):
    code = "ERR_FINANCE_MATCH_CONFLICT"
    http_status = 409
    title = "The line or movement is already matched, or the match was already decided"


class StatementNotFound(AppError):
    code = "ERR_FINANCE_STATEMENT_NOT_FOUND"
    http_status = 404
    title = "No such statement"


class PullFailed(AppError):
    code = "ERR_FINANCE_PULL_FAILED"
    http_status = 502
    title = "The statement could not be fetched from its source"


class PullSourceNotFound(AppError):
    code = "ERR_FINANCE_PULL_SOURCE_NOT_FOUND"
    http_status = 404
    title = "No such statement-pull source"


class InvalidPullSource(AppError):
    code = "ERR_FINANCE_INVALID_PULL_SOURCE"
    http_status = 422
    title = "The statement-pull source is not valid"
