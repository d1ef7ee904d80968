"""The ``webhook.deliver`` job: one signed POST, its attempt logged, and what follows from it.

The network call runs outside any transaction: the delivery is read first, posted, and the
outcome recorded in one unit of work afterwards. Failure schedules the next attempt on the
delivery's own budget (``states.RETRY_SCHEDULE``, over 24 h) by raising ``RetryAt``; a
subscription whose deliveries keep failing is disabled and an ``alert.raised`` written.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import structlog

from oms.alerts.events import AlertRaised
from oms.config import Settings
from oms.core import outbox
from oms.core.destinations import DestinationRefused, post_pinned
from oms.core.ids import new_id
from oms.core.jobs import JobRun, RetryAt
from oms.core.repo import get_for_update
from oms.core.secrets import secret_box
from oms.core.tracing import current_trace
from oms.core.uow import Database, UnitOfWork
from oms.webhooks.events import WebhookDeliveryDue
from oms.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from oms.webhooks.service import secret_context
from oms.webhooks.signing import signed_headers
from oms.webhooks.states import (
    DELIVERY_MACHINE,
    SUBSCRIPTION_MACHINE,
    DeliveryStatus,
    SubscriptionStatus,
    retry_delay,
)

__all__ = ["deliver"]

log = structlog.get_logger(__name__)
USER_AGENT = "oms-webhooks/1 (+standard-webhooks)"


@dataclass(frozen=True, slots=True)
class _Target:
    tenant_id: str
    delivery_id: str
    subscription_id: str
    url: str
    secret: str
    body: str


@dataclass(frozen=True, slots=True)
class _Outcome:
    attempted_at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None
    excerpt: str | None
    retry_after: timedelta | None

    @property
    def is_success(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def deliver(db: Database, event: WebhookDeliveryDue, _run: JobRun, *, settings: Settings) -> None:
    """POST one delivery; raise ``RetryAt`` while it fails and its budget lasts."""
    target = _target(db, event.tenant_id, event.delivery_id)
    if target is None:
        return
    outcome = _post(target, settings=settings, now=db.clock.now())
    retry_at = _record(db, target, outcome, settings=settings)
    log.info(
        "webhook.attempt",
        delivery_id=target.delivery_id,
        status_code=outcome.status_code,
        latency_ms=outcome.latency_ms,
        error=outcome.error,
    )
    if retry_at is not None:
        raise RetryAt(retry_at, outcome.error or f"HTTP {outcome.status_code}")


def _target(db: Database, tenant_id: str, delivery_id: str) -> _Target | None:
    """What to send, or None when the delivery is settled or its subscription stopped."""
    with db.uow() as uow:
        delivery = uow.session.get(WebhookDelivery, (tenant_id, delivery_id))
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return None
        subscription = uow.session.get(WebhookSubscription, (tenant_id, delivery.subscription_id))
        assert subscription is not None  # a foreign key holds it
        if subscription.status != SubscriptionStatus.ACTIVE:
            DELIVERY_MACHINE.transition(delivery, to=DeliveryStatus.CANCELLED, now=uow.clock.now())
            delivery.next_attempt_at = None
            uow.commit()
            return None
        context = secret_context(tenant_id, subscription.id)
        secret = secret_box().open(subscription.secret_sealed, context=context)
        return _Target(
            tenant_id, delivery.id, subscription.id, subscription.url, secret, delivery.body
        )


def _post(target: _Target, *, settings: Settings, now: datetime) -> _Outcome:
    started = time.perf_counter()
    status_code, error, excerpt, retry_after = None, None, None, None
    try:
        response = post_pinned(
            target.url,
            content=target.body.encode(),
            headers=_headers(target, now=now),
            allow_private=settings.webhook_allow_private_networks,
            timeout=settings.webhook_timeout_seconds,
        )
        status_code, excerpt = response.status_code, response.text[:500] or None
        retry_after = _retry_after(response)
    except DestinationRefused as exc:
        error = f"{exc.code}: {exc.message} {exc.details}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
    latency_ms = int((time.perf_counter() - started) * 1000)
    return _Outcome(now, status_code, latency_ms, error, excerpt, retry_after)


def _headers(target: _Target, *, now: datetime) -> dict[str, str]:
    headers = signed_headers(
        target.secret, message_id=target.delivery_id, timestamp=now, body=target.body
    )
    headers |= {"content-type": "application/json", "user-agent": USER_AGENT}
    trace = current_trace()
    if trace is not None:
        hop = trace.child()
        headers["traceparent"] = hop.traceparent
        if hop.tracestate:
            headers["tracestate"] = hop.tracestate
    return headers


def _retry_after(response: httpx.Response) -> timedelta | None:
    value = response.headers.get("retry-after", "")
    if response.status_code not in (429, 502, 503, 504) or not value.isdigit():
        return None
    return timedelta(seconds=int(value))


def _record(
    db: Database, target: _Target, outcome: _Outcome, *, settings: Settings
) -> datetime | None:
    """Log the attempt and settle or reschedule the delivery; return when to try again."""
    with db.uow() as uow:
        now = uow.clock.now()
        delivery = get_for_update(uow, WebhookDelivery, target.tenant_id, target.delivery_id)
        subscription = get_for_update(
            uow, WebhookSubscription, target.tenant_id, target.subscription_id
        )
        delivery.attempts += 1
        delivery.round_attempts += 1
        _add_attempt(uow, delivery, outcome)
        delivery.last_status_code, delivery.last_latency_ms = (
            outcome.status_code,
            outcome.latency_ms,
        )
        delivery.last_error, delivery.updated_at = outcome.error, now
        retry_at = None
        if outcome.is_success:
            DELIVERY_MACHINE.transition(delivery, to=DeliveryStatus.SUCCEEDED, now=now)
            delivery.next_attempt_at = None
            subscription.consecutive_failures = 0
        else:
            retry_at = _after_failure(uow, delivery, subscription, outcome, settings=settings)
        uow.commit()
    return retry_at


def _after_failure(
    uow: UnitOfWork,
    delivery: WebhookDelivery,
    subscription: WebhookSubscription,
    outcome: _Outcome,
    *,
    settings: Settings,
) -> datetime | None:
    now = uow.clock.now()
    delay = (
        None
        if outcome.status_code == 410
        else retry_delay(delivery.round_attempts, outcome.retry_after)
    )
    if delay is not None:
        delivery.next_attempt_at = now + delay
        return delivery.next_attempt_at
    DELIVERY_MACHINE.transition(delivery, to=DeliveryStatus.FAILED, now=now)
    delivery.next_attempt_at = None
    subscription.consecutive_failures += 1
    gone = outcome.status_code == 410
    if subscription.status == SubscriptionStatus.ACTIVE and (
        gone or subscription.consecutive_failures >= settings.webhook_disable_after_failures
    ):
        _disable(uow, subscription, gone=gone)
    return None


def _disable(uow: UnitOfWork, subscription: WebhookSubscription, *, gone: bool) -> None:
    now = uow.clock.now()
    reason = (
        "the endpoint answered 410 Gone"
        if gone
        else f"{subscription.consecutive_failures} consecutive deliveries failed"
    )
    SUBSCRIPTION_MACHINE.transition(subscription, to=SubscriptionStatus.DISABLED, now=now)
    subscription.disabled_reason = reason
    alert = AlertRaised(
        tenant_id=subscription.tenant_id,
        type="webhook.subscription_disabled",
        severity="high",
        title=f"Webhook subscription disabled: {reason}",
        details={"subscription_id": subscription.id, "url": subscription.url},
    )
    outbox.add(uow, alert, now=now)
    log.warning("webhook.subscription_disabled", subscription_id=subscription.id, reason=reason)


def _add_attempt(uow: UnitOfWork, delivery: WebhookDelivery, outcome: _Outcome) -> None:
    uow.session.add(
        WebhookAttempt(
            tenant_id=delivery.tenant_id,
            id=new_id(),
            delivery_id=delivery.id,
            attempt_no=delivery.attempts,
            attempted_at=outcome.attempted_at,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            error=outcome.error,
            response_excerpt=outcome.excerpt,
        )
    )
