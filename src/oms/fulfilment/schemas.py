"""Pydantic shapes of the shipments API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from oms.core.instants import Instant

__all__ = [
    "ORDER_ID_MAX_LENGTH",
    "OrderShipmentIn",
    "ScanOut",
    "ShipmentIn",
    "ShipmentLineIn",
    "ShipmentOut",
    "TrackingLinkOut",
]

Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]


class ShipmentLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    qty: Annotated[int, Field(ge=1, le=1_000_000)]


ORDER_ID_MAX_LENGTH = 36  # oms order ids are UUIDs


class ShipmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_id: Annotated[str, StringConstraints(min_length=1, max_length=ORDER_ID_MAX_LENGTH)]
    warehouse: Code
    carrier: Code
    tracking_no: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9\-]{4,64}$")]
    lines: Annotated[list[ShipmentLineIn], Field(min_length=1, max_length=500)]
    is_final: bool = Field(
        default=True, description="the last parcel of the order: anything still due is missing"
    )
    shipped_at: Instant | None = None


class ScanOut(BaseModel):
    """One carrier scan, as the carrier said it (``raw_code``) and as oms reads it."""

    at: datetime
    tracking_status: str
    tracking_sub_status: str
    raw_code: str
    text: str
    location: str | None


class OrderShipmentIn(BaseModel):
    """Ship some or all of an order's lines (the console's and merchants' "ship")."""

    model_config = ConfigDict(extra="forbid")
    carrier: Code = Field(description="Kuaidi100 company code, e.g. shunfeng")
    tracking_no: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9\-]{4,64}$")]
    lines: Annotated[list[ShipmentLineIn], Field(min_length=1, max_length=500)]
    warehouse: Code | None = Field(
        default=None, description="default: the plan's warehouse, else the stock hold's"
    )
    is_final: bool = Field(
        default=False, description="true: nothing else follows; anything still due is missing"
    )
    shipped_at: Instant | None = None


class ShipmentOut(BaseModel):
    id: str
    order_id: str
    warehouse: str
    carrier: str
    tracking_no: str
    status: str
    is_final: bool
    lines: list[dict[str, Any]]
    differences: list[dict[str, Any]]
    ticket_id: str | None
    shipped_at: datetime
    created_at: datetime
    order_status: str | None = None
    tracking_status: str | None = None
    tracking_sub_status: str | None = None
    raw_code: str | None = None
    last_scan_at: datetime | None = None
    origin_province: str | None = None
    destination_province: str | None = None
    eta_from: datetime | None = Field(
        default=None, description="estimated arrival from (hour-level; ~90 % window)"
    )
    eta_to: datetime | None = None
    eta_basis: str | None = Field(
        default=None,
        description="what the window rests on: carrier_route_hour, carrier_route_band, "
        "carrier_route, carrier, all (the tenant's history), default (too little history)",
    )
    eta_samples: int | None = Field(default=None, description="deliveries the window rests on")
    scans: list[ScanOut] = Field(default=[], description="carrier scans, oldest first")


class TrackingLinkOut(BaseModel):
    """The buyer's tracking page: no login, signed, valid until ``expires_at``."""

    url: str = Field(description="absolute, on the address this request reached")
    path: str = Field(description="/track/<token>")
    expires_at: datetime
