"""Notification intake: verify, store raw, then record the payment or the redelivery.

The raw message goes to the inbox first, in its own transaction, whatever its verdict, so an
auditor can replay what arrived. Only then is the payment written: a new trade becomes a
``received`` payment with a confirmation job; a trade already known is a redelivery and
becomes a ``pay`` attempt with outcome ``duplicate`` on the order's timeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import func, select, update

from oms.alerts.events import AlertRaised
from oms.core import audit, outbox
from oms.core.audit import Attempt, Outcome
from oms.core.context import Actor
from oms.core.errors import AppError
from oms.core.ids import new_id
from oms.core.inbox import Inbound, Recorded, record_inbound
from oms.core.models import InboxMessage, Tenant
from oms.core.repo import retry_on_race
from oms.core.uow import Database, UnitOfWork
from oms.orders.schemas import OrderOut
from oms.payments import events
from oms.payments.gateways.base import Notified
from oms.payments.models import Payment
from oms.payments.states import PaymentStatus

__all__ = [
    "Delivery",
    "mark_processed",
    "record_rejection",
    "record_verified",
    "source_of",
    "take_payment",
]

log = structlog.get_logger(__name__)
_DROPPED_HEADERS = frozenset({"authorization", "cookie"})


def source_of(gateway: str) -> str:
    """The inbox and timeline source of a gateway: ``gateway:alipay``."""
    return f"gateway:{gateway[:40]}"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One HTTP delivery to the notify endpoint, as it arrived."""

    gateway: str
    tenant_id: str
    headers: Mapping[str, str]
    body: bytes


def record_rejection(db: Database, delivery: Delivery, rejection: AppError) -> str:
    """Store a refused message under a fresh id (a forgery must not pass for a redelivery)."""
    source = source_of(delivery.gateway)
    message = Inbound(
        tenant_id=delivery.tenant_id[:64],
        source=source,
        message_id=f"rejected:{new_id()}",
        headers=_kept(delivery.headers),
        body=delivery.body,
        verification="rejected",
        error_code=rejection.code,
        details={"message": rejection.message, **rejection.details},
    )
    with db.uow() as uow:
        now = uow.clock.now()
        recorded = record_inbound(uow.session, message, now=now)
        _alert_if_repeated(uow, message, now)
        uow.commit()
    log.warning("payments.notification_rejected", source=source, code=rejection.code)
    return recorded.id


def record_verified(db: Database, delivery: Delivery, *, message_id: str, topic: str) -> Recorded:
    """Store a verified message once; a redelivery is counted on the first row."""
    message = Inbound(
        tenant_id=delivery.tenant_id,
        source=source_of(delivery.gateway),
        message_id=message_id[:200],
        headers=_kept(delivery.headers),
        body=delivery.body,
        verification="verified",
        topic=topic[:100],
    )
    with db.uow() as uow:
        recorded = record_inbound(uow.session, message, now=uow.clock.now())
        uow.commit()
    return recorded


def take_payment(
    db: Database,
    *,
    tenant_id: str,
    gateway: str,
    notified: Notified,
    order: OrderOut,
    recorded: Recorded,
) -> str:
    """Record a new payment and schedule its confirmation, or a redelivery; return the outcome."""
    # The same trade notified twice at once: the retry finds the other's payment.
    return retry_on_race(
        lambda: _take_payment_once(db, tenant_id, gateway, notified, order, recorded), attempts=2
    )


def mark_processed(db: Database, tenant_id: str, inbox_id: str, outcome: str) -> None:
    """Note what became of a verified message that is not a payment (a refund, a close)."""
    with db.uow() as uow:
        _mark(uow, tenant_id, inbox_id, outcome)
        uow.commit()


def _take_payment_once(
    db: Database,
    tenant_id: str,
    gateway: str,
    notified: Notified,
    order: OrderOut,
    recorded: Recorded,
) -> str:
    with db.uow() as uow:
        now = uow.clock.now()
        existing = _payment_of_trade(uow, tenant_id, gateway, notified.trade_no)
        if existing is None:
            payment = _insert_payment(uow, tenant_id, gateway, notified, order, recorded.id)
            due = events.PaymentConfirmationDue(
                tenant_id=tenant_id, payment_id=payment.id, order_id=order.id
            )
            outbox.add(uow, due, now=now)
            outcome = "payment_received"
        else:
            _record_redelivery(uow, tenant_id, gateway, notified, order, existing, recorded)
            outcome = "duplicate"
        _mark(uow, tenant_id, recorded.id, outcome)
        uow.commit()
    log.info("payments.notification_taken", source=source_of(gateway), outcome=outcome)
    return outcome


def _payment_of_trade(
    uow: UnitOfWork, tenant_id: str, gateway: str, trade_no: str
) -> Payment | None:
    stmt = select(Payment).where(
        Payment.tenant_id == tenant_id, Payment.gateway == gateway, Payment.trade_no == trade_no
    )
    return uow.session.scalars(stmt).first()


def _insert_payment(
    uow: UnitOfWork,
    tenant_id: str,
    gateway: str,
    notified: Notified,
    order: OrderOut,
    inbox_id: str,
) -> Payment:
    now = uow.clock.now()
    payment = Payment(
        tenant_id=tenant_id,
        id=new_id(),
        order_id=order.id,
        order_no=order.order_no,
        gateway=gateway,
        trade_no=notified.trade_no[:64],
        amount=notified.amount,
        currency=notified.currency[:3],
        status=PaymentStatus.RECEIVED.value,
        notified_state=notified.state[:32],
        gateway_paid_at=notified.paid_at,
        inbox_message_id=inbox_id,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(payment)
    uow.session.flush()
    _audit_received(uow, payment, notified)
    return payment


def _audit_received(uow: UnitOfWork, payment: Payment, notified: Notified) -> None:
    attempt = Attempt(
        aggregate_type="payment",
        aggregate_id=payment.id,
        event="receive",
        outcome=Outcome.APPLIED,
        to_status=payment.status,
        version_after=payment.version,
        source=source_of(payment.gateway),
        occurred_at=notified.paid_at,
        details={
            "order_id": payment.order_id,
            "amount": payment.amount,
            "trade_no": payment.trade_no,
        },
    )
    actor = Actor.system(payment.tenant_id, "payments")
    audit.record_attempt(uow.session, actor, attempt, now=uow.clock.now())


def _record_redelivery(
    uow: UnitOfWork,
    tenant_id: str,
    gateway: str,
    notified: Notified,
    order: OrderOut,
    payment: Payment,
    recorded: Recorded,
) -> None:
    """The order's timeline shows every delivery: a known trade is a duplicate ``pay``."""
    attempt = Attempt(
        aggregate_type="order",
        aggregate_id=order.id,
        event="pay",
        outcome=Outcome.DUPLICATE,
        from_status=str(order.status),
        source=source_of(gateway),
        reason=f"{gateway} notified trade {notified.trade_no} again",
        occurred_at=notified.paid_at,
        details={
            "payment_id": payment.id,
            "payment_status": payment.status,
            "inbox_id": recorded.id,
            "deliveries": recorded.deliveries,
        },
    )
    actor = Actor.system(tenant_id, "payments")
    audit.record_attempt(uow.session, actor, attempt, now=uow.clock.now())


def _mark(uow: UnitOfWork, tenant_id: str, inbox_id: str, outcome: str) -> None:
    uow.session.execute(
        update(InboxMessage)
        .where(
            InboxMessage.tenant_id == tenant_id,
            InboxMessage.id == inbox_id,
            InboxMessage.processed_at.is_(None),
        )
        .values(processed_at=uow.clock.now(), outcome=outcome)
    )


def _alert_if_repeated(uow: UnitOfWork, message: Inbound, now: datetime) -> None:
    """Raise one alert when a tenant's rejections for a gateway reach the threshold."""
    if uow.session.get(Tenant, message.tenant_id) is None:
        return  # no tenant to alert; the inbox row and the log line remain
    since = now - timedelta(seconds=events.REJECTIONS_WINDOW_SECONDS)
    count = uow.session.scalar(
        select(func.count(InboxMessage.id)).where(
            InboxMessage.tenant_id == message.tenant_id,
            InboxMessage.source == message.source,
            InboxMessage.verification == "rejected",
            InboxMessage.received_at >= since,
        )
    )
    if count != events.REJECTIONS_ALERT_THRESHOLD:
        return
    alert = AlertRaised(
        tenant_id=message.tenant_id,
        type="payment.notifications_rejected",
        severity="high",
        title=f"{count} rejected {message.source} notifications in 10 minutes",
        details={
            "source": message.source,
            "count": count,
            "window_seconds": events.REJECTIONS_WINDOW_SECONDS,
            "last_error_code": message.error_code,
        },
    )
    outbox.add(uow, alert, now=now)


def _kept(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items() if k.lower() not in _DROPPED_HEADERS}
