"""Use cases of outbound webhooks: subscribe, unsubscribe, replay a delivery."""

from __future__ import annotations

from oms.core import outbox
from oms.core.context import Actor
from oms.core.destinations import resolve_destination
from oms.core.ids import new_id
from oms.core.repo import get_for_update
from oms.core.secrets import secret_box
from oms.core.uow import Database, UnitOfWork
from oms.webhooks.errors import (
    DeliveryInProgress,
    DeliveryNotFound,
    SubscriptionInactive,
    SubscriptionNotFound,
    UnknownEventType,
)
from oms.webhooks.events import EVENT_TYPES, WILDCARD, WebhookDeliveryDue
from oms.webhooks.models import WebhookDelivery, WebhookSubscription
from oms.webhooks.queries import delivery_out, subscription_out
from oms.webhooks.schemas import DeliveryOut, SubscriptionCreated, SubscriptionIn, SubscriptionOut
from oms.webhooks.signing import new_secret
from oms.webhooks.states import (
    DELIVERY_MACHINE,
    SUBSCRIPTION_MACHINE,
    DeliveryStatus,
    SubscriptionStatus,
)

__all__ = [
    "create_subscription",
    "delete_subscription",
    "replay_delivery",
    "secret_context",
]


def secret_context(tenant_id: str, subscription_id: str) -> str:
    """What a subscription's sealed secret is bound to."""
    return f"tenant:{tenant_id}:webhook:{subscription_id}"


def create_subscription(
    db: Database, actor: Actor, data: SubscriptionIn, *, allow_private: bool
) -> SubscriptionCreated:
    """Subscribe a URL to event types; the answer carries the signing secret, shown only once.

    Raises: ERR_WEBHOOK_UNKNOWN_EVENT_TYPE, ERR_WEBHOOK_DESTINATION_REFUSED.
    """
    event_types = _checked_event_types(data.event_types)
    # DNS is looked up before the transaction opens, never inside it.
    destination = resolve_destination(data.url, allow_private=allow_private)
    secret = new_secret()
    with db.uow() as uow:
        now = uow.clock.now()
        subscription_id = new_id()
        row = WebhookSubscription(
            tenant_id=actor.tenant_id,
            id=subscription_id,
            url=destination.url,
            event_types=event_types,
            description=data.description,
            secret_sealed=secret_box().seal(
                secret, context=secret_context(actor.tenant_id, subscription_id)
            ),
            status=SubscriptionStatus.ACTIVE.value,
            consecutive_failures=0,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(row)
        uow.commit()
    return SubscriptionCreated(**subscription_out(row).model_dump(), secret=secret)


def delete_subscription(db: Database, actor: Actor, subscription_id: str) -> SubscriptionOut:
    """Stop a subscription; its deliveries stay in the log.

    Raises: ERR_WEBHOOK_SUBSCRIPTION_NOT_FOUND.
    """
    with db.uow() as uow:
        row = _subscription(uow, actor.tenant_id, subscription_id)
        if row.status == SubscriptionStatus.DELETED:
            raise SubscriptionNotFound(subscription_id=subscription_id)
        SUBSCRIPTION_MACHINE.transition(row, to=SubscriptionStatus.DELETED, now=uow.clock.now())
        uow.commit()
    return subscription_out(row)


def replay_delivery(db: Database, actor: Actor, delivery_id: str) -> DeliveryOut:
    """Send a delivery again, same ``webhook-id``, with a fresh retry budget.

    Raises: ERR_WEBHOOK_DELIVERY_NOT_FOUND, ERR_WEBHOOK_DELIVERY_IN_PROGRESS,
    ERR_WEBHOOK_SUBSCRIPTION_INACTIVE.
    """
    with db.uow() as uow:
        now = uow.clock.now()
        delivery = _delivery(uow, actor.tenant_id, delivery_id)
        if delivery.status == DeliveryStatus.PENDING:
            raise DeliveryInProgress(delivery_id=delivery_id)
        subscription = _subscription(uow, actor.tenant_id, delivery.subscription_id)
        if subscription.status != SubscriptionStatus.ACTIVE:
            raise SubscriptionInactive(subscription_id=subscription.id, status=subscription.status)
        DELIVERY_MACHINE.transition(delivery, to=DeliveryStatus.PENDING, now=now)
        delivery.round_attempts, delivery.next_attempt_at = 0, now
        due = WebhookDeliveryDue(tenant_id=actor.tenant_id, delivery_id=delivery.id, replay=True)
        outbox.add(uow, due, now=now)
        uow.session.flush()
        out = delivery_out(uow.session, delivery)
        uow.commit()
    return out


def _checked_event_types(event_types: list[str]) -> list[str]:
    unknown = sorted({t for t in event_types if t != WILDCARD and t not in EVENT_TYPES})
    if unknown:
        raise UnknownEventType(
            f"unknown event types: {', '.join(unknown)}",
            unknown=unknown,
            allowed=[*sorted(EVENT_TYPES), WILDCARD],
        )
    return sorted(set(event_types))


def _subscription(uow: UnitOfWork, tenant_id: str, subscription_id: str) -> WebhookSubscription:
    missing = SubscriptionNotFound(subscription_id=subscription_id)
    return get_for_update(uow, WebhookSubscription, tenant_id, subscription_id, missing=missing)


def _delivery(uow: UnitOfWork, tenant_id: str, delivery_id: str) -> WebhookDelivery:
    missing = DeliveryNotFound(delivery_id=delivery_id)
    return get_for_update(uow, WebhookDelivery, tenant_id, delivery_id, missing=missing)
