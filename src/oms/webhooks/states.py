"""Statuses of subscriptions and deliveries, and the retry schedule of a delivery."""

from __future__ import annotations

import random
from datetime import timedelta
from enum import StrEnum

from oms.core.states import Machine, refusal
from oms.webhooks.errors import InvalidWebhookTransition
from oms.webhooks.events import WILDCARD

__all__ = [
    "DELIVERY_MACHINE",
    "RETRY_SCHEDULE",
    "SUBSCRIPTION_MACHINE",
    "DeliveryStatus",
    "SubscriptionStatus",
    "is_subscribed",
    "retry_delay",
]


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"  # by oms, after it kept failing (or answered 410 Gone)
    DELETED = "deleted"  # by the tenant; kept for the delivery log


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # the retry budget is spent, or the endpoint answered 410
    CANCELLED = "cancelled"  # the subscription was disabled or deleted before it went out


_illegal = refusal(InvalidWebhookTransition)


_Sub = SubscriptionStatus
_Del = DeliveryStatus

SUBSCRIPTION_MACHINE: Machine[SubscriptionStatus] = Machine(
    name="webhook subscription",
    status=SubscriptionStatus,
    table={
        _Sub.ACTIVE: frozenset({_Sub.DISABLED, _Sub.DELETED}),
        _Sub.DISABLED: frozenset({_Sub.DELETED}),
        _Sub.DELETED: frozenset(),
    },
    error=_illegal,
)

# Any settled delivery may be replayed (back to pending, same webhook-id).
DELIVERY_MACHINE: Machine[DeliveryStatus] = Machine(
    name="webhook delivery",
    status=DeliveryStatus,
    table={
        _Del.PENDING: frozenset({_Del.SUCCEEDED, _Del.FAILED, _Del.CANCELLED}),
        _Del.SUCCEEDED: frozenset({_Del.PENDING}),
        _Del.FAILED: frozenset({_Del.PENDING}),
        _Del.CANCELLED: frozenset({_Del.PENDING}),
    },
    error=_illegal,
    stamps={_Del.SUCCEEDED: ("delivered_at",)},
)


# Waits after each failed attempt (Standard Webhooks' suggested schedule, trimmed): 8 attempts
# over 27 h 35 min; with the ±10 % jitter never less than 24 h 49 min from first to last.
RETRY_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
_RETRY_AFTER_CAP = timedelta(hours=24)


def retry_delay(failed_attempts: int, retry_after: timedelta | None = None) -> timedelta | None:
    """How long to wait after the ``failed_attempts``-th failure; None when the budget is spent.

    A ``Retry-After`` from the endpoint (429, 503) lengthens the wait, up to 24 h.
    """
    if failed_attempts < 1 or failed_attempts > len(RETRY_SCHEDULE):
        return None
    delay = RETRY_SCHEDULE[failed_attempts - 1] * random.uniform(0.9, 1.1)
    if retry_after is not None:
        delay = max(delay, min(retry_after, _RETRY_AFTER_CAP))
    return delay


def is_subscribed(event_types: list[str], topic: str) -> bool:
    """True when a subscription's event types take ``topic``."""
    return WILDCARD in event_types or topic in event_types
