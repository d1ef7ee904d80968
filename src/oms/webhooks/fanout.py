"""Fan-out: one delivery and one ``webhook.deliver`` job per matching active subscription.

Runs as a job subscriber on each relayed topic, beside the topic's own handler. It touches
only the database, in one transaction, and is idempotent on the source message id: a
delivery is unique per (tenant, subscription, event), so a re-run adds nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from oms.core import outbox
from oms.core.ids import new_id
from oms.core.jobs import JobRun
from oms.core.models import OutboxMessage
from oms.core.outbox import Event
from oms.core.uow import Database, UnitOfWork
from oms.webhooks.events import EVENT_TYPES, WebhookDeliveryDue
from oms.webhooks.models import WebhookDelivery, WebhookSubscription
from oms.webhooks.states import DeliveryStatus, SubscriptionStatus, is_subscribed

__all__ = ["envelope", "fan_out"]


def envelope(topic: str, occurred_at: datetime, data: dict[str, Any]) -> str:
    """The minified JSON body sent (and signed) on every attempt."""
    timestamp = occurred_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    body = {"type": topic, "timestamp": timestamp, "data": data}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def fan_out(db: Database, event: Event, run: JobRun) -> None:
    """Queue ``event`` for every active subscription that takes its topic."""
    if event.topic not in EVENT_TYPES:
        return
    source = _Source(event.tenant_id, run.id, event.topic)
    with db.uow() as uow:
        targets = _pending_targets(uow, source)
        if not targets:
            return
        now = uow.clock.now()
        body = envelope(event.topic, _occurred_at(uow, source) or now, event.to_payload())
        for subscription_id in targets:
            _queue(uow, source, subscription_id, body=body, now=now)
        uow.commit()


@dataclass(frozen=True, slots=True)
class _Source:
    """The message being fanned out: its delivery rows are unique per (tenant, id)."""

    tenant_id: str
    id: str
    topic: str


def _pending_targets(uow: UnitOfWork, source: _Source) -> list[str]:
    """Matching active subscriptions that have no delivery of this event yet."""
    subscriptions = uow.session.execute(
        select(WebhookSubscription.id, WebhookSubscription.event_types).where(
            WebhookSubscription.tenant_id == source.tenant_id,
            WebhookSubscription.status == SubscriptionStatus.ACTIVE.value,
        )
    ).all()
    matching = [
        row.id for row in subscriptions if is_subscribed(list(row.event_types), source.topic)
    ]
    if not matching:
        return []
    done = set(
        uow.session.scalars(
            select(WebhookDelivery.subscription_id).where(
                WebhookDelivery.tenant_id == source.tenant_id,
                WebhookDelivery.event_id == source.id,
            )
        )
    )
    return [subscription_id for subscription_id in matching if subscription_id not in done]


def _queue(
    uow: UnitOfWork, source: _Source, subscription_id: str, *, body: str, now: datetime
) -> None:
    delivery_id = new_id()
    uow.session.execute(
        insert(WebhookDelivery).values(
            tenant_id=source.tenant_id,
            id=delivery_id,
            subscription_id=subscription_id,
            event_id=source.id,
            event_type=source.topic,
            body=body,
            status=DeliveryStatus.PENDING.value,
            attempts=0,
            round_attempts=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
    )
    due = WebhookDeliveryDue(tenant_id=source.tenant_id, delivery_id=delivery_id)
    outbox.add(uow, due, now=now)


def _occurred_at(uow: UnitOfWork, source: _Source) -> datetime | None:
    """When the event was written (the source message's creation time)."""
    return uow.session.scalar(
        select(OutboxMessage.created_at).where(
            OutboxMessage.tenant_id == source.tenant_id, OutboxMessage.id == source.id
        )
    )
