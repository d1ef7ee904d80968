"""Pydantic shapes of the orders API. ORM rows never leave the domain."""

from __future__ import annotations

from datetime import datetime
from ipaddress import IPv4Address, IPv6Address
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from oms.core.batch import BatchItems
from oms.core.instants import Instant
from oms.core.money import MAX_AMOUNT, MAX_QTY
from oms.core.paging import Page
from oms.orders.states import OrderEvent, OrderStatus

__all__ = [
    "Address",
    "Buyer",
    "EventResult",
    "NoteIn",
    "NoteOut",
    "OrderBatchIn",
    "OrderBatchOut",
    "OrderBatchResult",
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
IpAddress = Annotated[IPv4Address | IPv6Address, Field(description="the buyer's IP address")]
Channel = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.:\-]{0,63}$")]
Source = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-/@]{0,127}$")]
# Upper bounds are documented here and enforced by ``orders.amounts`` (ERR_ORDER_INVALID_AMOUNTS,
# the code for every amount problem, not the generic ERR_VALIDATION).
Qty = Annotated[int, Field(ge=1, json_schema_extra={"maximum": MAX_QTY})]
Amount = Annotated[
    int, Field(ge=0, json_schema_extra={"maximum": MAX_AMOUNT}, description="minor units (fen)")
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Buyer(_In):
    id: Annotated[str, StringConstraints(max_length=128)] | None = None
    name: Annotated[str, StringConstraints(max_length=200)] | None = None
    phone: Phone | None = None
    # The buyer's own connection as the storefront saw it (never the API caller's): risk's
    # IP and device rules read only these; an order without them triggers none of those rules.
    ip: IpAddress | None = None
    device_id: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None


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
    # Delivery coordinates as the map SDK gave them; ``coord_system`` says which datum
    # (Chinese maps answer GCJ-02 or BD-09; risk converts both to WGS-84). None: GCJ-02, the
    # datum every map sold in China must use.
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lng: Annotated[float, Field(ge=-180, le=180)] | None = None
    coord_system: Literal["wgs84", "gcj02", "bd09"] | None = None
    # For buyer notifications (docs/notifications.md): the e-mail channel's recipient, and
    # the zone quiet hours are read in (an IANA name; unknown or absent: the tenant's zone).
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]{1,64}@[^@\s]{1,190}$")] | None = None
    timezone: (
        Annotated[
            str, StringConstraints(pattern=r"^[A-Za-z_]+(/[A-Za-z0-9_+\-]+){0,2}$", max_length=64)
        ]
        | None
    ) = None


class OrderLineIn(_In):
    sku: Text64
    name: Text200
    qty: Qty
    unit_price: Amount


class OrderCreate(_In):
    channel: Channel
    external_id: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None
    buyer: Buyer = Field(default_factory=Buyer)
    shipping_address: Address | None = None
    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=500)]
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "CNY"
    shipping_fee: Amount = 0
    discount: Amount = 0
    placed_at: Instant | None = None
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None
    warehouse: (
        Annotated[
            str,
            StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"),
            Field(description="reserve from this warehouse only; default: all, by priority"),
        ]
        | None
    ) = None
    allow_shortage: bool = Field(
        default=False,
        description="record the order even when stock is short: short lines wait for stock "
        "(platform orders always do); default: all or nothing, 409 ERR_STOCK_INSUFFICIENT",
    )
    cash_on_delivery: bool = Field(
        default=False,
        description="paid on delivery: no payment deadline (payment_due_at is null), no timeout",
    )


class OrderEventIn(_In):
    event: OrderEvent
    expected_version: Annotated[int, Field(ge=1)] | None = None
    source: Source = "api"
    reason: Annotated[str, StringConstraints(max_length=1000)] | None = None
    occurred_at: Instant | None = None


class OrderLineOut(BaseModel):
    line_no: int
    sku: str
    name: str
    qty: int
    unit_price: int
    line_total: int
    short_qty: int = Field(default=0, description="units no stock is held for yet")


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
    stock_shortage: bool = Field(
        default=False, description="some line is short of stock: it waits and cannot ship"
    )
    lines: list[OrderLineOut]
    allowed_events: list[OrderEvent]
    timeout_pending: bool = Field(
        description="cancelled by payment timeout at payment_due_at; the durable record follows"
    )
    placed_at: datetime
    payment_due_at: datetime | None = Field(description="null: no deadline (cash on delivery)")
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


class OrderPage(Page[OrderOut]):
    """A page of orders (core.paging); kept as a named model for the OpenAPI schema."""


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


class NoteIn(_In):
    """An internal note; its length is checked by the service (ERR_ORDER_NOTE_INVALID)."""

    body: str = Field(description="1 to 2000 characters after trimming; never shown to buyers")


class NoteOut(BaseModel):
    id: str
    order_id: str
    author: str = Field(description="the principal who wrote it (user:…, apikey:…)")
    body: str
    created_at: datetime


class OrderBatchIn(BaseModel):
    """Up to 500 orders, each as ``POST /api/v1/orders`` takes it, each placed on its own."""

    model_config = ConfigDict(extra="forbid")
    orders: BatchItems = Field(description="orders as POST /api/v1/orders takes them")


class OrderBatchResult(BaseModel):
    """One item's answer: 201 new, 200 existing (same channel and external id), or an error."""

    index: int
    status: int
    order_id: str | None = None
    code: str | None = Field(default=None, description="the error code when not placed")


class OrderBatchOut(BaseModel):
    results: list[OrderBatchResult] = Field(description="one per item, in the items' order")
