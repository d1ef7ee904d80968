"""Pydantic shapes of the channels API. Secrets come in and never go out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from oms.orders.schemas import OrderCreate

__all__ = [
    "ChannelConfigIn",
    "ChannelConfigOut",
    "ChannelHealth",
    "Finding",
    "HealthReport",
    "MappedOut",
]

Severity = Literal["info", "warning", "critical"]


class ChannelConfigIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    secret: Annotated[
        str,
        StringConstraints(min_length=8, max_length=512),
        Field(description="the platform's signing secret; stored sealed, never returned"),
    ]
    client_id: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = Field(
        default=None, description="Youzan client_id (signs with the secret)"
    )
    mapping: dict[str, Any] | None = Field(
        default=None, description="partial field mapping merged over the shipped one"
    )


class ChannelConfigOut(BaseModel):
    channel: str
    secret_configured: bool
    client_id: str | None
    mapping_overrides: dict[str, Any]
    webhook_path: str
    updated_at: datetime


class Finding(BaseModel):
    check: str
    severity: Severity
    message: str
    fix: str


class ChannelHealth(BaseModel):
    channel: str
    secret_configured: bool
    deliveries: int = Field(description="deliveries received in the window, redeliveries included")
    messages: int = Field(description="distinct delivery ids in the window")
    signature_failure_rate: float
    duplicate_delivery_rate: float
    overlapping_orders: int = Field(description="platform orders seen through more than one topic")
    last_delivery_at: datetime | None
    last_delivery_age_seconds: float | None
    processing_lag_seconds: float | None = Field(description="slowest receipt → processed")
    unprocessed: int = Field(description="verified deliveries not processed after 5 minutes")
    created_short: int = Field(
        default=0, description="platform orders created short of stock in the window"
    )
    findings: list[Finding]


class HealthReport(BaseModel):
    tenant_id: str
    checked_at: datetime
    window_hours: int
    channels: list[ChannelHealth]


class MappedOut(BaseModel):
    external_id: str
    platform_updated_at: datetime | None
    order: OrderCreate
    events: list[str]
