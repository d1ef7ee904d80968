"""Payment tables: per-tenant gateway configuration and the payments gateways report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKeyConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oms.core.db import Base, JSONType, TenantKeyed, UTCDateTime

__all__ = ["Payment", "PaymentGateway"]


class PaymentGateway(Base):
    """One gateway's settings for a tenant. Secrets are sealed (``core.secrets``), never plain."""

    __tablename__ = "payment_gateways"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    gateway: Mapped[str] = mapped_column(String(16), primary_key=True)
    # Non-secret settings: app id, merchant id, base URL, public keys and their ids.
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # field name → sealed value, bound to "tenant:{tenant}:{gateway}:{field}".
    sealed: Mapped[dict[str, str]] = mapped_column(JSONType)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __mapper_args__ = {"version_id_col": version}


class Payment(TenantKeyed, Base):
    """Money a gateway says arrived for an order, and what double confirmation made of it."""

    __tablename__ = "payments"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "order_id"], ["orders.tenant_id", "orders.id"]),
        # One payment per gateway trade, however often and however it is notified.
        Index("uq_payments_trade", "tenant_id", "gateway", "trade_no", unique=True),
        Index("ix_payments_order", "tenant_id", "order_id"),
    )

    order_id: Mapped[str] = mapped_column(String(36))
    order_no: Mapped[str] = mapped_column(String(32))
    gateway: Mapped[str] = mapped_column(String(16))
    trade_no: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    # What the notification said (trade status), when the gateway says the buyer paid.
    notified_state: Mapped[str] = mapped_column(String(32))
    gateway_paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The inbox row of the notification that first reported the payment.
    inbox_message_id: Mapped[str] = mapped_column(String(36))
    query_result: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    problem: Mapped[str | None] = mapped_column(Text, nullable=True)
    ticket_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __mapper_args__ = {"version_id_col": version}
