"""Errors of the alerts domain."""

from __future__ import annotations

from oms.core.errors import AppError

__all__ = ["AlertRouteInvalid", "AlertRouteNotFound", "AlertSendFailed"]


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
