"""Pydantic shapes of the stock API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from oms.core.batch import BatchItems
from oms.inventory.states import MovementKind

__all__ = [
    "BucketsIn",
    "LedgerOut",
    "MovementBatchIn",
    "MovementBatchOut",
    "MovementBatchResult",
    "MovementIn",
    "MovementOut",
    "ReservationOut",
    "SafetyStockIn",
    "StockLevel",
    "TrackingIn",
    "WarehouseIn",
    "WarehouseLevel",
    "WarehouseLocationIn",
    "WarehouseOut",
]

Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]
Sku = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
MAX_QTY = 1_000_000_000
Place = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class WarehouseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Code
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    priority: Annotated[int, Field(ge=0, le=10_000)] = 100
    province: Place | None = Field(default=None, description="e.g. 浙江省; plans ship from here")
    city: Place | None = None


class WarehouseLocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    province: Place
    city: Place | None = None


class WarehouseOut(BaseModel):
    code: str
    name: str
    priority: int
    province: str | None = None
    city: str | None = None


class MovementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: Sku
    warehouse: Code | None = None
    kind: MovementKind
    qty: Annotated[
        int, Field(ge=-MAX_QTY, le=MAX_QTY, description="signed for adjustment, correction")
    ]
    reason: Annotated[str, StringConstraints(max_length=1000)] | None = None
    reference: Annotated[str, StringConstraints(max_length=64)] | None = None
    expected_version: Annotated[int, Field(ge=1)] | None = None


class MovementBatchIn(BaseModel):
    """Up to 500 movements, each as ``POST /api/v1/stock/movements`` takes it."""

    model_config = ConfigDict(extra="forbid")
    movements: BatchItems = Field(description="movements as POST /stock/movements takes them")


class MovementBatchResult(BaseModel):
    """One item's answer: 201 and its ledger id, or the error's status and code."""

    index: int
    status: int
    ledger_id: str | None = None
    code: str | None = None


class MovementBatchOut(BaseModel):
    results: list[MovementBatchResult] = Field(description="one per item, in the items' order")


class BucketsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    warehouse: Code | None = None
    count: Annotated[int, Field(ge=1, le=64)]


class SafetyStockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    warehouse: Code | None = None
    safety_stock: Annotated[int, Field(ge=0, le=MAX_QTY)]
    expected_version: Annotated[int, Field(ge=1)] | None = None


class TrackingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tracked: bool = Field(
        description="false: the SKU's stock is not counted (services, vouchers, gift cards)"
    )


class WarehouseLevel(BaseModel):
    warehouse: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int
    version: int
    buckets: int


class StockLevel(BaseModel):
    sku: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int
    version: int = Field(
        description="the version of the single row when there is one, else the sum"
    )
    warehouses: list[WarehouseLevel]
    tracked: bool = Field(
        default=True, description="false: orders reserve nothing for it and are never short"
    )


class MovementOut(BaseModel):
    ledger_id: str
    stock: StockLevel


class LedgerOut(BaseModel):
    id: str
    sku: str
    warehouse: str
    bucket: int
    kind: str
    delta_on_hand: int
    delta_reserved: int
    on_hand_after: int
    reserved_after: int
    ref_type: str | None
    ref_id: str | None
    reason: str | None
    actor: str | None
    trace_id: str | None
    created_at: datetime


class ReservationOut(BaseModel):
    id: str
    sku: str
    warehouse: str
    qty: int
    status: str
    expires_at: datetime
    created_at: datetime
    closed_at: datetime | None
