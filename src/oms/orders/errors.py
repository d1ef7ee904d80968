"""Errors of the orders domain, each with a stable code."""

from __future__ import annotations

from oms.core.errors import AppError

__all__ = [
    "FulfilmentBlocked",
    "IllegalTransition",
    "InvalidAmounts",
    "NotDue",
    "NoteInvalid",
    "OrderNotFound",
    "ShortLinesCannotShip",
    "StaleEvent",
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


class StaleEvent(IllegalTransition):
    """An event older than the status change it would undo.

    A kind of illegal transition, so callers that treat one as a refusal (channel intake,
    shipments) treat this one the same way.
    """

    code = "ERR_ORDER_STALE_EVENT"
    http_status = 409
    title = "A later event already set the order's status; a person decides"


class NotDue(AppError):
    code = "ERR_ORDER_NOT_DUE"
    http_status = 409
    title = "The order's payment deadline has not passed"


class ShortLinesCannotShip(AppError):
    code = "ERR_ORDER_STOCK_SHORT"
    http_status = 409
    title = "Some lines of this order are short of stock and cannot ship until they are reserved"


class NoteInvalid(AppError):
    """An internal note that is empty (after trimming) or longer than ``MAX_NOTE_CHARS``."""

    code = "ERR_ORDER_NOTE_INVALID"
    http_status = 422
    title = "A note must say something and stay within the length limit"
