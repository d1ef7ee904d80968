"""Pydantic shapes of the tracking API and CLI."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

__all__ = ["InterventionOut", "ParcelOut", "TrackingConfigOut", "UnmatchedPushOut"]


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


class ParcelOut(BaseModel):
    """One accepted parcel as the fulfilment desk lists it (tracking fields null until a scan)."""

    shipment_id: str
    order_id: str
    carrier: str
    tracking_no: str
    tracking_status: str | None
    tracking_sub_status: str | None
    raw_code: str | None
    shipped_at: datetime
    last_scan_at: datetime | None
    last_scan_text: str | None = None


class InterventionOut(BaseModel):
    """An unresolved delivery ticket (stalled, exception, returned) with its parcel's facts."""

    ticket_id: str
    kind: str
    status: str
    order_id: str | None
    title: str
    opened_at: datetime
    carrier: str | None
    tracking_no: str | None
    tracking_status: str | None
    tracking_sub_status: str | None
    last_scan_at: datetime | None
    threshold_seconds: int | None
    suggested_actions: list[str]
