"""Order tables. Writes go through Core statements in ``service`` (compare-and-set)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from oms.core.db import Base, JSONType, TenantKeyed, UTCDateTime

__all__ = ["Order", "OrderLine", "OrderNote"]


class Order(TenantKeyed, Base):
    __tablename__ = "orders"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index("uq_orders_order_no", "tenant_id", "order_no", unique=True),
        Index("uq_orders_external", "tenant_id", "channel", "external_id", unique=True),
        Index("ix_orders_created", "tenant_id", "created_at", "id"),
        Index("ix_orders_updated", "tenant_id", "updated_at", "id"),
        Index("ix_orders_phone_rev", "tenant_id", "buyer_phone_rev"),
        # The backfill queue: few orders are short at a time, so this finds them at once.
        Index("ix_orders_stock_shortage", "tenant_id", "stock_shortage"),
        # The console's orders list: sorted or filtered by payment time and age unshipped.
        Index("ix_orders_paid", "tenant_id", "paid_at", "id"),
        Index("ix_orders_status_paid", "tenant_id", "status", "paid_at"),
        Index("ix_orders_buyer_name", "tenant_id", "buyer_name"),
    )

    order_no: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    status: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[int] = mapped_column(BigInteger)
    shipping_fee: Mapped[int] = mapped_column(BigInteger)
    discount: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)
    buyer_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    buyer_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    buyer_phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The phone's digits reversed, so "last four digits" is an indexed prefix search.
    buyer_phone_rev: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The buyer's connection as the storefront reported it (risk signals), when sent.
    buyer_ip: Mapped[str | None] = mapped_column(String(45), nullable=True)
    buyer_device_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Set when the order needs a person: e.g. "stock_shortage" (paid, stock could not be had).
    exception_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # True while some line is short (``order_lines.short_qty > 0``): it waits for stock.
    stock_shortage: Mapped[bool] = mapped_column(Boolean, server_default=false())
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # None: no payment deadline (cash on delivery), so no payment timeout.
    payment_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "order_id"], ["orders.tenant_id", "orders.id"]),
        # The console's order search by SKU.
        Index("ix_order_lines_sku", "tenant_id", "sku"),
    )

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    qty: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    line_total: Mapped[int] = mapped_column(BigInteger)
    # Units of this line no stock is held (or deducted) for yet; the backfill lowers it.
    short_qty: Mapped[int] = mapped_column(Integer, server_default="0")


class OrderNote(TenantKeyed, Base):
    """A merchant's internal note on an order (never shown to the buyer); append-only."""

    __tablename__ = "order_notes"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "order_id"], ["orders.tenant_id", "orders.id"]),
        Index("ix_order_notes_order", "tenant_id", "order_id", "created_at", "id"),
    )

    order_id: Mapped[str] = mapped_column(String(36))
    # The principal who wrote it (``user:…``, ``apikey:…``); the console shows it by name.
    author: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
