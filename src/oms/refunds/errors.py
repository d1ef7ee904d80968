"""Errors of the refunds domain, each with a stable code."""

from __future__ import annotations

from oms.core.errors import AppError

__all__ = [
    "ExceedsPaid",
    "ExceedsRefundableUnits",
    "GatewayRefundFailed",
    "IllegalRefundTransition",
    "InvalidRefundLines",
    "InvalidRoutingRule",
    "NotInReviewGroup",
    "NotRefundable",
    "RefundAdviceNotFound",
    "RefundNotFound",
    "RefundScopeAmbiguous",
    "RequestIdReused",
]


class RefundNotFound(AppError):
    code = "ERR_REFUND_NOT_FOUND"
    http_status = 404
    title = "Refund not found"


class RefundAdviceNotFound(AppError):
    code = "ERR_REFUND_ADVICE_NOT_FOUND"
    http_status = 404
    title = "No advice recorded for this refund"


class ExceedsPaid(AppError):
    code = "ERR_REFUND_EXCEEDS_PAID"
    http_status = 409
    title = "Refunds would exceed what was paid"


class IllegalRefundTransition(AppError):
    code = "ERR_REFUND_ILLEGAL_TRANSITION"
    http_status = 409
    title = "The refund cannot move to that status from its current one"


class NotRefundable(AppError):
    code = "ERR_REFUND_NOT_REFUNDABLE"
    http_status = 409
    title = "The order has no money to refund"


class InvalidRefundLines(AppError):
    code = "ERR_REFUND_INVALID_LINES"
    http_status = 422
    title = "The lines are not lines of the order, or exceed their quantities"


class ExceedsRefundableUnits(AppError):
    code = "ERR_REFUND_UNITS_EXCEED_REFUNDABLE"
    http_status = 422
    title = "A line asks for more units than are left to refund"


class RefundScopeAmbiguous(AppError):
    code = "ERR_REFUND_SCOPE_AMBIGUOUS"
    http_status = 422
    title = "Give lines or an amount, not both"


class NotInReviewGroup(AppError):
    code = "ERR_REFUND_NOT_IN_GROUP"
    http_status = 403
    title = "Only members of the refund's review group (or admins) may decide it"


class InvalidRoutingRule(AppError):
    code = "ERR_REFUND_INVALID_RULE"
    http_status = 422
    title = "The routing rule is not valid"


class RequestIdReused(AppError):
    code = "ERR_REFUND_REQUEST_ID_REUSED"
    http_status = 409
    title = "This request_id was used for another order"


class GatewayRefundFailed(AppError):
    code = "ERR_REFUND_GATEWAY_FAILED"
    http_status = 502
    title = "The gateway did not confirm the refund yet"
