"""Errors of the orders domain, each with a stable code."""

from __future__ import annotations

from oms.core.errors import AppError

__all__ = [
    "FulfilmentBlocked",
    "IllegalTransition",
    "InvalidAmounts",
    "OrderNotFound",
    "VersionMismatch",
]


class OrderNotFound(AppError):
    code = "ERR_ORDER_NOT_FOUND"
    http_status = 404
    title = "Order not found"


class IllegalTransition(AppError):
    code = "ERR_ORDER_ILLEGAL_TRANSITION"
    http_status = 409
    title = "The event is not allowed in the order's current status"


class VersionMismatch(AppError):
    code = "ERR_ORDER_VERSION_MISMATCH"
    http_status = 409
    title = "The order changed since the version you sent"


class InvalidAmounts(AppError):
    code = "ERR_ORDER_INVALID_AMOUNTS"
    http_status = 422
    title = "The order's amounts do not add up"


class FulfilmentBlocked(AppError):
    code = "ERR_ORDER_FULFILMENT_BLOCKED"
    http_status = 409
    title = "An open fulfilment exception ticket keeps this order from shipping"
