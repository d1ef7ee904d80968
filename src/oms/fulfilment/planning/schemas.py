"""Pydantic shapes of the fulfilment plan API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from oms.fulfilment.schemas import Code, ShipmentLineIn

__all__ = ["PlanOut", "PlanOverrideIn", "PlannedShipmentIn"]


class PlannedShipmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    warehouse: Code
    carrier: Code
    service: Code | None = None
    lines: Annotated[list[ShipmentLineIn], Field(min_length=1, max_length=500)]


class PlanOverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    shipments: Annotated[list[PlannedShipmentIn], Field(min_length=1, max_length=50)]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class PlanOut(BaseModel):
    order_id: str
    origin: str = Field(description="planner: computed on payment; override: set by ops")
    shipments: list[dict[str, Any]] = Field(
        description="[{warehouse, carrier, service, lines: [{sku, qty}], cost, hours, reasons}]"
    )
    alternatives: list[dict[str, Any]]
    reasons: list[dict[str, Any]] = Field(description="plan-wide reasons, {code, params}")
    is_complete: bool = Field(description="false: some parcel has no carrier; a ticket is open")
    total_cost: int = Field(description="fen")
    override_reason: str | None
    ticket_id: str | None
    version: int
    created_at: datetime
    updated_at: datetime
