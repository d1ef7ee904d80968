"""Payment use cases: configure a gateway, take a notification, confirm a payment.

``receive_notification`` never raises for a message it refuses: it records it and answers
what the gateway expects (Alipay: the text ``success`` / ``fail``; WeChat Pay: 204, or 4xx
with ``{"code": "FAIL", "message": ...}``), so a gateway stops retrying only what oms took.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from oms.core.errors import AppError, PayloadTooLarge
from oms.core.uow import Database
from oms.orders.queries import find_by_order_no
from oms.orders.schemas import OrderOut
from oms.payments import intake
from oms.payments.config import configure_gateway, gateway_config, load_credentials
from oms.payments.confirmation import confirm_payment
from oms.payments.errors import NotificationRejected, UnknownPaymentOrder
from oms.payments.gateways import alipay, wechatpay
from oms.payments.gateways.base import Ignored, Notified, RefundNotified
from oms.payments.schemas import GatewayName
from oms.refunds import service as refunds

__all__ = [
    "NotifyAnswer",
    "configure_gateway",
    "confirm_payment",
    "gateway_config",
    "receive_notification",
]


@dataclass(frozen=True, slots=True)
class NotifyAnswer:
    """What to answer a gateway, independent of the web framework."""

    status: int
    body: bytes
    media_type: str | None


def receive_notification(
    db: Database,
    *,
    gateway: str,
    tenant_id: str,
    headers: Mapping[str, str],
    body: bytes,
    truncated: bool = False,
) -> NotifyAnswer:
    """Verify a gateway notification, store it raw, then record the payment it reports, or
    hand a refund notification (Alipay ``out_biz_no``; WeChat Pay ``REFUND.*``) to refunds.

    Rejections (ERR_PAYMENT_UNKNOWN_GATEWAY, _UNKNOWN_TENANT, _GATEWAY_NOT_CONFIGURED,
    _MALFORMED_NOTIFICATION, _BAD_SIGNATURE, _UNKNOWN_SERIAL, _STALE_TIMESTAMP, _UNKNOWN_APP,
    _UNDECRYPTABLE, _ORDER_NOT_FOUND; ERR_PAYLOAD_TOO_LARGE when ``truncated``: the body is
    only the first bytes the edge kept) are recorded and answered as failures, not raised.
    """
    delivery = intake.Delivery(gateway, tenant_id, headers, body)
    try:
        if truncated:
            raise PayloadTooLarge(limit_bytes=len(body))
        verified, order = _verify(db, gateway, tenant_id, headers, body)
    except (NotificationRejected, PayloadTooLarge) as rejection:
        intake.record_rejection(db, delivery, rejection)
        return _failure(gateway, rejection)
    recorded = intake.record_verified(
        db, delivery, message_id=verified.message_id, topic=verified.topic
    )
    if isinstance(verified, RefundNotified):
        outcome = refunds.confirm_from_notification(
            db,
            tenant_id,
            refund_id=verified.refund_id,
            succeeded=verified.succeeded,
            status=verified.status,
            gateway_ref=verified.gateway_ref,
            amount=verified.amount,
            cumulative=verified.cumulative,
            source=intake.source_of(gateway),
            inbox_id=recorded.id,
        )
        intake.mark_processed(db, tenant_id, recorded.id, outcome)
    elif isinstance(verified, Notified) and order is not None:
        intake.take_payment(
            db,
            tenant_id=tenant_id,
            gateway=gateway,
            notified=verified,
            order=order,
            recorded=recorded,
        )
    else:
        intake.mark_processed(db, tenant_id, recorded.id, "ignored")
    return _success(gateway)


def _verify(
    db: Database, gateway: str, tenant_id: str, headers: Mapping[str, str], body: bytes
) -> tuple[Notified | RefundNotified | Ignored, OrderOut | None]:
    creds = load_credentials(db, tenant_id, gateway)
    if isinstance(creds, alipay.AlipayCredentials):
        verified = alipay.verify_notification(alipay.parse_form(body), creds)
    else:
        verified = wechatpay.verify_notification(headers, body, creds, now=db.clock.now())
    if isinstance(verified, Ignored | RefundNotified):
        return verified, None
    return verified, _order(db, tenant_id, verified.out_trade_no)


def _order(db: Database, tenant_id: str, order_no: str) -> OrderOut:
    """The order whose number is the gateway's out_trade_no. Raises: ERR_PAYMENT_ORDER_NOT_FOUND."""
    order = find_by_order_no(db, tenant_id, order_no)
    if order is not None:
        return order
    raise UnknownPaymentOrder("out_trade_no is no order of this tenant", out_trade_no=order_no)


def _success(gateway: str) -> NotifyAnswer:
    if gateway == GatewayName.ALIPAY:
        return NotifyAnswer(200, b"success", "text/plain")
    return NotifyAnswer(204, b"", None)


def _failure(gateway: str, rejection: AppError) -> NotifyAnswer:
    if gateway == GatewayName.ALIPAY:
        return NotifyAnswer(rejection.http_status, b"fail", "text/plain")
    message = f"{rejection.code}: {rejection.message}"
    body = json.dumps({"code": "FAIL", "message": message}, ensure_ascii=False).encode()
    return NotifyAnswer(rejection.http_status, body, "application/json")
