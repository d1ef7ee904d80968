"""Coded payment errors. Notification rejections keep their code in the inbox row."""

from __future__ import annotations

from oms.core.errors import AppError, Conflict

__all__ = [
    "BadSignature",
    "GatewayNotConfigured",
    "GatewayQueryFailed",
    "InvalidGatewayConfig",
    "InvalidPaymentTransition",
    "MalformedNotification",
    "NotificationRejected",
    "PaymentNotFinal",
    "StaleTimestamp",
    "UndecryptableResource",
    "UnknownApp",
    "UnknownGateway",
    "UnknownPaymentOrder",
    "UnknownSeller",
    "UnknownSerial",
    "UnknownTenant",
]


class NotificationRejected(AppError):
    """Base of every reason a gateway notification is refused (recorded, answered as failure)."""

    http_status = 400
    title = "The payment notification was rejected"


class UnknownGateway(NotificationRejected):
    code = "ERR_PAYMENT_UNKNOWN_GATEWAY"
    http_status = 404
    title = "No such payment gateway (alipay, wechatpay)"


class UnknownTenant(NotificationRejected):
    code = "ERR_PAYMENT_UNKNOWN_TENANT"
    http_status = 404
    title = "The notification names no known tenant"


class GatewayNotConfigured(NotificationRejected):
    code = "ERR_PAYMENT_GATEWAY_NOT_CONFIGURED"
    http_status = 404
    title = "The tenant has not configured this gateway"


class MalformedNotification(NotificationRejected):
    code = "ERR_PAYMENT_MALFORMED_NOTIFICATION"
    title = "The notification is not well-formed"


class BadSignature(NotificationRejected):
    code = "ERR_PAYMENT_BAD_SIGNATURE"
    http_status = 401
    title = "The notification's signature does not verify"


class UnknownSerial(NotificationRejected):
    code = "ERR_PAYMENT_UNKNOWN_SERIAL"
    http_status = 401
    title = "The notification is signed with a key that is not configured"


class StaleTimestamp(NotificationRejected):
    code = "ERR_PAYMENT_STALE_TIMESTAMP"
    http_status = 401
    title = "The notification's timestamp is outside the allowed window"


class UnknownApp(NotificationRejected):
    code = "ERR_PAYMENT_UNKNOWN_APP"
    http_status = 403
    title = "The notification is for another app or merchant"


class UnknownSeller(NotificationRejected):
    code = "ERR_PAYMENT_UNKNOWN_SELLER"
    http_status = 403
    title = "The notification is for another seller account"


class UndecryptableResource(NotificationRejected):
    code = "ERR_PAYMENT_UNDECRYPTABLE"
    title = "The notification's resource does not decrypt with the API v3 key"


class UnknownPaymentOrder(NotificationRejected):
    code = "ERR_PAYMENT_ORDER_NOT_FOUND"
    http_status = 404
    title = "The notification's out_trade_no is no order of this tenant"


class InvalidGatewayConfig(AppError):
    code = "ERR_PAYMENT_INVALID_CONFIG"
    http_status = 422
    title = "The gateway configuration is not valid"


class InvalidPaymentTransition(Conflict):
    code = "ERR_PAYMENT_INVALID_TRANSITION"
    title = "The payment cannot make this move"


class GatewayQueryFailed(AppError):
    code = "ERR_PAYMENT_QUERY_FAILED"
    http_status = 502
    title = "The gateway's query API did not give a verifiable answer"


class PaymentNotFinal(AppError):
    code = "ERR_PAYMENT_NOT_FINAL"
    http_status = 409
    title = "The gateway does not yet report the trade as final"
