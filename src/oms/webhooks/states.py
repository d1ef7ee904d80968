"""Statuses of subscriptions and deliveries, and the retry schedule of a delivery."""

from __future__ import annotations

import random
from datetime import timedelta
from enum import StrEnum

from oms.webhooks.events import WILDCARD

__all__ = [
    "RETRY_SCHEDULE",
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
