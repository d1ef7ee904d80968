"""Read-only views of subscriptions and the delivery log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from oms.core.paging import Page, PageRequest, fetch_all, fetch_items, fetch_page
from oms.core.repo import scoped
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
    "subscription_page",
]


def subscription_out(row: WebhookSubscription) -> SubscriptionOut:
    return SubscriptionOut.model_validate(row, from_attributes=True)


def list_subscriptions(
    db: Database, tenant_id: str, *, include_deleted: bool = False
) -> list[SubscriptionOut]:
    """The tenant's subscriptions, oldest first, without their secrets."""
    stmt = _subscriptions(tenant_id, include_deleted=include_deleted)
    with db.reader() as session:
        return fetch_all(session, stmt, _SUBSCRIPTION_KEYS, subscription_out)


def subscription_page(
    db: Database, tenant_id: str, *, page: PageRequest = PageRequest()
) -> Page[SubscriptionOut]:
    """One page of the tenant's live subscriptions, oldest first, without their secrets."""
    stmt = _subscriptions(tenant_id, include_deleted=False)
    with db.reader() as session:
        return fetch_items(
            session, stmt, _SUBSCRIPTION_KEYS, page, subscription_out, scope="webhook-subscriptions"
        )


_SUBSCRIPTION_KEYS = (WebhookSubscription.created_at, WebhookSubscription.id)


def _subscriptions(tenant_id: str, *, include_deleted: bool) -> Select[WebhookSubscription]:
    """The tenant's subscriptions (the list and the page): live ones unless told otherwise."""
    stmt = scoped(WebhookSubscription, tenant_id)
    if not include_deleted:
        stmt = stmt.where(WebhookSubscription.status != SubscriptionStatus.DELETED.value)
    return stmt


def list_deliveries(
    db: Database,
    tenant_id: str,
    *,
    subscription_id: str | None = None,
    status: str | None = None,
    page: PageRequest = PageRequest(),
) -> Page[DeliveryOut]:
    """One page of the delivery log, newest first, each delivery with its attempts."""
    # An empty filter (``?status=``) means "any", as an absent one does.
    stmt = scoped(
        WebhookDelivery, tenant_id, subscription_id=subscription_id or None, status=status or None
    )
    keys: list[ColumnElement[Any]] = [
        WebhookDelivery.created_at.expression,
        WebhookDelivery.id.expression,
    ]
    with db.list_reader() as session:
        rows = fetch_page(session, stmt, keys, page, scope="webhook-deliveries", descending=True)
        return rows.page([delivery_out(session, r[0]) for r in rows.rows])


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
