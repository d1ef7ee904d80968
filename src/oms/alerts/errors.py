"""Errors of the alerts domain."""

from __future__ import annotations

from oms.core.errors import AppError

__all__ = [
    "AlertRouteInvalid",
    "AlertRouteNotFound",
    "AlertSendFailed",
    "InvalidNotificationTransition",
    "LowStockRuleInvalid",
]


class AlertRouteInvalid(AppError):
    code = "ERR_ALERT_ROUTE_INVALID"
    http_status = 422
    title = "The alert route is not valid"


class AlertRouteNotFound(AppError):
    code = "ERR_ALERT_ROUTE_NOT_FOUND"
    http_status = 404
    title = "Alert route not found"


class AlertSendFailed(AppError):
    code = "ERR_ALERT_SEND_FAILED"
    http_status = 502
    title = "The alert channel did not accept the message"


class InvalidNotificationTransition(AppError):
    code = "ERR_ALERT_INVALID_TRANSITION"
    http_status = 409
    title = "The alert notification cannot make this move"


class LowStockRuleInvalid(AppError):
    code = "ERR_ALERT_LOW_STOCK_RULE_INVALID"
    http_status = 422
    title = "The low-stock alert rule is not valid"
