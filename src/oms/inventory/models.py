"""Stock tables: warehouses, stock rows (per bucket), reservations and the ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from oms.core.db import Base, TenantKeyed, UTCDateTime

__all__ = ["AwaitedSku", "LedgerEntry", "Reservation", "StockItem", "UntrackedSku", "Warehouse"]


class Warehouse(Base):
    """A place stock is kept; orders reserve from warehouses in ``priority`` order."""

    __tablename__ = "warehouses"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(Integer)
    # Where it ships from: plans prefer carriers serving the route and near warehouses.
    province: Mapped[str | None] = mapped_column(String(100), nullable=True)
    city: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StockItem(Base):
    """Stock of one SKU in one warehouse (one row per bucket for hot SKUs)."""

    __tablename__ = "stock_items"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "warehouse"], ["warehouses.tenant_id", "warehouses.code"]
        ),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
        CheckConstraint("safety_stock >= 0", name="safety_stock_not_negative"),
    )

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    warehouse: Mapped[str] = mapped_column(String(64), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    on_hand: Mapped[int] = mapped_column(BigInteger)
    reserved: Mapped[int] = mapped_column(BigInteger)
    safety_stock: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Reservation(TenantKeyed, Base):
    """Units held for an order until it is paid, cancelled, or the hold expires."""

    __tablename__ = "stock_reservations"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "order_id"], ["orders.tenant_id", "orders.id"]),
        Index("ix_stock_reservations_order", "tenant_id", "order_id"),
        Index("ix_stock_reservations_active", "tenant_id", "sku", "status", "expires_at"),
        Index("ix_stock_reservations_due", "status", "expires_at"),
        CheckConstraint("qty > 0", name="qty_positive"),
    )

    order_id: Mapped[str] = mapped_column(String(36))
    sku: Mapped[str] = mapped_column(String(64))
    warehouse: Mapped[str] = mapped_column(String(64))
    bucket: Mapped[int] = mapped_column(Integer)
    qty: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class LedgerEntry(TenantKeyed, Base):
    """One stock movement. Append-only: balances can be rebuilt from these rows."""

    __tablename__ = "stock_ledger"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index("ix_stock_ledger_sku", "tenant_id", "sku", "warehouse", "created_at"),
    )

    sku: Mapped[str] = mapped_column(String(64))
    warehouse: Mapped[str] = mapped_column(String(64))
    bucket: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    delta_on_hand: Mapped[int] = mapped_column(BigInteger)
    delta_reserved: Mapped[int] = mapped_column(BigInteger)
    on_hand_after: Mapped[int] = mapped_column(BigInteger)
    reserved_after: Mapped[int] = mapped_column(BigInteger)
    ref_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    ref_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    actor: Mapped[str | None] = mapped_column(String(128), nullable=True)
    trace_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class UntrackedSku(Base):
    """A SKU whose stock is not counted (services, vouchers, gift cards, group-buy codes).

    Its order lines reserve nothing and are never short. No row: the SKU is tracked.
    """

    __tablename__ = "stock_untracked_skus"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    actor: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AwaitedSku(Base):
    """Some order line waits for this SKU: freed units of it are announced (stock.available).

    Kept by the orders domain through ``reservations.await_stock`` and dropped by the backfill
    once nothing waits; ``version`` grows with every new wait, so dropping a marker that a
    concurrent order has just renewed is a no-op (``DELETE … WHERE version = seen``).
    """

    __tablename__ = "stock_awaited_skus"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
