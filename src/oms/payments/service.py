"""Payment use cases: configure a gateway, take a notification, confirm a payment.

``receive_notification`` never raises for a message it refuses: it records it and answers
what the gateway expects (Alipay: the text ``success`` / ``fail``; WeChat Pay: 204, or 4xx
with ``{"code": "FAIL", "message": ...}``), so a gateway stops retrying only what oms took.
"""

from __future__ import annotations

from collections.abc import Mapping

from oms.core.errors import AppError, PayloadTooLarge
from oms.core.uow import Database
from oms.orders.queries import find_by_order_no
from oms.orders.schemas import OrderOut
from oms.payments import intake, ports
from oms.payments.config import configure_gateway, gateway_config, load_credentials
from oms.payments.confirmation import confirm_payment
from oms.payments.errors import NotificationRejected, UnknownPaymentOrder
from oms.payments.gateways.base import (
    Ignored,
    Notified,
    NotifyAnswer,
    RefundNotified,
    Verified,
    json_refusal,
)
from oms.payments.gateways.registry import find_gateway, gateway_for

__all__ = [
    "NotifyAnswer",
    "configure_gateway",
    "confirm_payment",
    "gateway_config",
    "receive_notification",
]


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
        outcome = ports.refund_notified(
            db, tenant_id, verified, source=intake.source_of(gateway), inbox_id=recorded.id
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
) -> tuple[Verified, OrderOut | None]:
    creds = load_credentials(db, tenant_id, gateway)
    verified = gateway_for(gateway).verify_notification(creds, headers, body, now=db.clock.now())
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
    return gateway_for(gateway).accepted()


def _failure(gateway: str, rejection: AppError) -> NotifyAnswer:
    # A name oms does not know has no adapter to shape the answer: the common JSON refusal.
    adapter = find_gateway(gateway)
    return adapter.refused(rejection) if adapter is not None else json_refusal(rejection)
