"""Pydantic shapes of the webhooks API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "AttemptOut",
    "DeliveryOut",
    "SubscriptionCreated",
    "SubscriptionIn",
    "SubscriptionOut",
]

EventType = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: Annotated[str, StringConstraints(min_length=8, max_length=2048)]
    event_types: Annotated[list[EventType], Field(min_length=1, max_length=50)]
    description: Annotated[str, StringConstraints(max_length=200)] = ""


class SubscriptionOut(BaseModel):
    """A subscription as the API shows it: never its secret."""

    id: str
    url: str
    event_types: list[str]
    description: str
    status: str
    consecutive_failures: int
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime


class SubscriptionCreated(SubscriptionOut):
    """The answer to a new subscription: the only time ``secret`` is shown."""

    secret: str


class AttemptOut(BaseModel):
    attempt_no: int
    attempted_at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None
    response_excerpt: str | None


class DeliveryOut(BaseModel):
    id: str
    subscription_id: str
    event_id: str
    event_type: str
    status: str
    attempts: int
    last_status_code: int | None
    last_latency_ms: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[AttemptOut] = []
