"""Outbound webhooks over HTTP: subscriptions, the delivery log, replay."""

from __future__ import annotations

from fastapi import APIRouter

from oms.core.paging import Page, Paging
from oms.http.deps import AppSettings, CurrentActor, CurrentPrincipal, Db, requires
from oms.webhooks import queries, service
from oms.webhooks.schemas import DeliveryOut, SubscriptionCreated, SubscriptionIn, SubscriptionOut

__all__ = ["router"]

# Admin and ops manage webhooks (the permission is registered by the domain that uses it).
MANAGE = [requires("webhooks:manage")]

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


@router.post("/subscriptions", status_code=201, dependencies=MANAGE)
def subscribe(
    body: SubscriptionIn, actor: CurrentActor, db: Db, settings: AppSettings
) -> SubscriptionCreated:
    """Subscribe a URL; the answer holds the signing secret, shown this once."""
    allow_private = settings.webhook_allow_private_networks
    return service.create_subscription(db, actor, body, allow_private=allow_private)


@router.get("/subscriptions", dependencies=MANAGE)
def list_subscriptions(principal: CurrentPrincipal, db: Db, page: Paging) -> Page[SubscriptionOut]:
    """Live subscriptions, oldest first, paged by cursor."""
    return queries.subscription_page(db, principal.tenant_id, page=page)


@router.delete("/subscriptions/{subscription_id}", dependencies=MANAGE)
def unsubscribe(subscription_id: str, actor: CurrentActor, db: Db) -> SubscriptionOut:
    return service.delete_subscription(db, actor, subscription_id)


@router.get("/deliveries", dependencies=MANAGE)
def list_deliveries(
    principal: CurrentPrincipal,
    db: Db,
    page: Paging,
    subscription_id: str | None = None,
    status: str | None = None,
) -> Page[DeliveryOut]:
    """The delivery log, newest first, with every attempt's status code and latency."""
    return queries.list_deliveries(
        db, principal.tenant_id, subscription_id=subscription_id, status=status, page=page
    )


@router.get("/deliveries/{delivery_id}", dependencies=MANAGE)
def read_delivery(delivery_id: str, principal: CurrentPrincipal, db: Db) -> DeliveryOut:
    return queries.get_delivery(db, principal.tenant_id, delivery_id)


@router.post("/deliveries/{delivery_id}/replay", status_code=202, dependencies=MANAGE)
def replay(delivery_id: str, actor: CurrentActor, db: Db) -> DeliveryOut:
    """Send the delivery again (same ``webhook-id``), with a fresh retry budget."""
    return service.replay_delivery(db, actor, delivery_id)
