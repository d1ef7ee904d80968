"""Pydantic shapes of the shipments API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

__all__ = ["ShipmentIn", "ShipmentLineIn", "ShipmentOut"]

Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]


class ShipmentLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    qty: Annotated[int, Field(ge=1, le=1_000_000)]


class ShipmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_id: Annotated[str, StringConstraints(min_length=1, max_length=36)]
    warehouse: Code
    carrier: Code
    tracking_no: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9\-]{4,64}$")]
    lines: Annotated[list[ShipmentLineIn], Field(min_length=1, max_length=500)]
    is_final: bool = Field(
        default=True, description="the last parcel of the order: anything still due is missing"
    )
    shipped_at: AwareDatetime | None = None


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
