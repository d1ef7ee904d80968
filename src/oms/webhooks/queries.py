"""Read-only views of subscriptions and the delivery log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from oms.core.uow import Database
from oms.webhooks.errors import DeliveryNotFound
from oms.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from oms.webhooks.schemas import AttemptOut, DeliveryOut, SubscriptionOut
from oms.webhooks.states import SubscriptionStatus

__all__ = [
    "delivery_out",
    "get_delivery",
    "list_deliveries",
    "list_subscriptions",
    "subscription_out",
]


def subscription_out(row: WebhookSubscription) -> SubscriptionOut:
    return SubscriptionOut.model_validate(row, from_attributes=True)


def list_subscriptions(
    db: Database, tenant_id: str, *, include_deleted: bool = False
) -> list[SubscriptionOut]:
    """The tenant's subscriptions, oldest first, without their secrets."""
    stmt = select(WebhookSubscription).where(WebhookSubscription.tenant_id == tenant_id)
    if not include_deleted:
        stmt = stmt.where(WebhookSubscription.status != SubscriptionStatus.DELETED.value)
    stmt = stmt.order_by(WebhookSubscription.created_at, WebhookSubscription.id)
    with db.reader() as session:
        return [subscription_out(row) for row in session.scalars(stmt)]


def list_deliveries(
    db: Database,
    tenant_id: str,
    *,
    subscription_id: str | None = None,
    status: str | None = None,
    limit: int = 100,
) -> list[DeliveryOut]:
    """The delivery log, newest first, each delivery with its attempts."""
    stmt = select(WebhookDelivery).where(WebhookDelivery.tenant_id == tenant_id)
    if subscription_id:
        stmt = stmt.where(WebhookDelivery.subscription_id == subscription_id)
    if status:
        stmt = stmt.where(WebhookDelivery.status == status)
    stmt = stmt.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()).limit(limit)
    with db.reader() as session:
        return [delivery_out(session, row) for row in session.scalars(stmt).all()]


def get_delivery(db: Database, tenant_id: str, delivery_id: str) -> DeliveryOut:
    """One delivery with its attempts. Raises: ERR_WEBHOOK_DELIVERY_NOT_FOUND."""
    with db.reader() as session:
        row = session.get(WebhookDelivery, (tenant_id, delivery_id))
        if row is None:
            raise DeliveryNotFound(delivery_id=delivery_id)
        return delivery_out(session, row)


def delivery_out(session: Session, row: WebhookDelivery) -> DeliveryOut:
    attempts = session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.tenant_id == row.tenant_id, WebhookAttempt.delivery_id == row.id)
        .order_by(WebhookAttempt.attempt_no)
    )
    out = DeliveryOut.model_validate(row, from_attributes=True)
    out.attempt_log = [AttemptOut.model_validate(a, from_attributes=True) for a in attempts]
    return out
