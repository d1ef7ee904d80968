"""Pydantic shapes of the tracking API and CLI."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

__all__ = ["TrackingConfigOut", "UnmatchedPushOut"]


class TrackingConfigOut(BaseModel):
    tenant_id: str
    carrier: str
    push_url: str
    signed_push_url: str | None = None
    updated_at: datetime


class UnmatchedPushOut(BaseModel):
    """A push whose parcels match no shipment: kept in the inbox, shown here."""

    inbox_id: str
    source: str
    received_at: datetime
    deliveries: int
    parcels: list[dict[str, Any]]
