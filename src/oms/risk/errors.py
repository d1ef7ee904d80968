"""Errors of the risk domain."""

from __future__ import annotations

from oms.core.errors import AppError

__all__ = ["BlacklistInvalid", "DelayFlagNotFound", "NotHeld", "RuleInvalid", "RuleNotFound"]


class RuleInvalid(AppError):
    code = "ERR_RISK_RULE_INVALID"
    http_status = 422
    title = "The rule expression is not valid"


class RuleNotFound(AppError):
    code = "ERR_RISK_RULE_NOT_FOUND"
    http_status = 404
    title = "Risk rule not found"


class BlacklistInvalid(AppError):
    code = "ERR_RISK_BLACKLIST_INVALID"
    http_status = 422
    title = "The blacklist file is not valid"


class NotHeld(AppError):
    code = "ERR_RISK_NOT_HELD"
    http_status = 409
    title = "The order is not held for risk review"


class DelayFlagNotFound(AppError):
    code = "ERR_RISK_DELAY_FLAG_NOT_FOUND"
    http_status = 404
    title = "No delay flag for this shipment"
