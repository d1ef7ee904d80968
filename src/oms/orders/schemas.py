"""Pydantic shapes of the orders API. ORM rows never leave the domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from oms.orders.states import OrderEvent, OrderStatus

__all__ = [
    "Address",
    "Buyer",
    "EventResult",
    "OrderCreate",
    "OrderEventIn",
    "OrderLineIn",
    "OrderLineOut",
    "OrderOut",
    "OrderPage",
    "TimelineEntry",
    "Totals",
]

Text64 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 \-]{2,30}$")
]
Channel = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.:\-]{0,63}$")]
Source = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-/@]{0,127}$")]
MAX_AMOUNT = 10**13  # 100 billion yuan in fen: beyond any real order, far below int64


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Buyer(_In):
    id: Annotated[str, StringConstraints(max_length=128)] | None = None
    name: Annotated[str, StringConstraints(max_length=200)] | None = None
    phone: Phone | None = None


class Address(_In):
    name: Annotated[str, StringConstraints(max_length=200)] | None = None
    phone: Phone | None = None
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = "CN"
    province: Annotated[str, StringConstraints(max_length=100)] | None = None
    city: Annotated[str, StringConstraints(max_length=100)] | None = None
    district: Annotated[str, StringConstraints(max_length=100)] | None = None
    line1: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    line2: Annotated[str, StringConstraints(max_length=500)] | None = None
    postal_code: Annotated[str, StringConstraints(max_length=20)] | None = None


class OrderLineIn(_In):
    sku: Text64
    name: Text200
    qty: Annotated[int, Field(ge=1, le=1_000_000)]
    unit_price: Annotated[int, Field(ge=0, le=MAX_AMOUNT, description="minor units (fen)")]


class OrderCreate(_In):
    channel: Channel
    external_id: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None
    buyer: Buyer = Field(default_factory=Buyer)
    shipping_address: Address | None = None
    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=500)]
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "CNY"
    shipping_fee: Annotated[int, Field(ge=0, le=MAX_AMOUNT)] = 0
    discount: Annotated[int, Field(ge=0, le=MAX_AMOUNT)] = 0
    placed_at: AwareDatetime | None = None
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None
    warehouse: (
        Annotated[
            str,
            StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"),
            Field(description="reserve from this warehouse only; default: all, by priority"),
        ]
        | None
    ) = None


class OrderEventIn(_In):
    event: OrderEvent
    expected_version: Annotated[int, Field(ge=1)] | None = None
    source: Source = "api"
    reason: Annotated[str, StringConstraints(max_length=1000)] | None = None
    occurred_at: AwareDatetime | None = None


class OrderLineOut(BaseModel):
    line_no: int
    sku: str
    name: str
    qty: int
    unit_price: int
    line_total: int


class Totals(BaseModel):
    subtotal: int
    shipping_fee: int
    discount: int
    total: int


class OrderOut(BaseModel):
    id: str
    order_no: str
    channel: str
    external_id: str | None
    status: OrderStatus
    version: int
    currency: str
    totals: Totals
    buyer: dict[str, Any]
    shipping_address: dict[str, Any] | None
    note: str | None
    exception_code: str | None
    lines: list[OrderLineOut]
    allowed_events: list[OrderEvent]
    timeout_pending: bool = Field(
        description="cancelled by payment timeout at payment_due_at; the durable record follows"
    )
    placed_at: datetime
    payment_due_at: datetime
    created_at: datetime
    updated_at: datetime
    paid_at: datetime | None
    cancelled_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    completed_at: datetime | None
    closed_at: datetime | None


class EventResult(BaseModel):
    outcome: str
    duplicate: bool
    stale: bool
    entry_id: str
    order: OrderOut


class OrderPage(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None


class TimelineEntry(BaseModel):
    id: str
    event: str
    from_status: str | None
    to_status: str | None
    outcome: str
    error_code: str | None
    version_after: int | None
    source: str | None
    actor: str | None
    client_ip: str | None
    user_agent: str | None
    body_sha256: str | None
    trace_id: str | None
    reason: str | None
    details: dict[str, Any]
    occurred_at: datetime | None
    recorded_at: datetime
