"""Channel tables: per-tenant channel settings and the platform order ↔ oms order link."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKeyConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oms.core.db import Base, JSONType, UTCDateTime

__all__ = ["ChannelConfig", "ChannelOrder"]


class ChannelConfig(Base):
    """A tenant's settings for one channel. The secret is sealed and never leaves the domain."""

    __tablename__ = "channel_configs"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    channel: Mapped[str] = mapped_column(String(64), primary_key=True)
    secret_sealed: Mapped[str] = mapped_column(Text)
    # Youzan signs with client_id + msg + client_secret; other channels leave it empty.
    client_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # Partial mapping merged over the connector's shipped one.
    mapping_overrides: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ChannelOrder(Base):
    """One platform order is one oms order; the newest platform ``updated_at`` applied."""

    __tablename__ = "channel_orders"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        ForeignKeyConstraint(["tenant_id", "order_id"], ["orders.tenant_id", "orders.id"]),
        Index("ix_channel_orders_order", "tenant_id", "order_id"),
    )

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    channel: Mapped[str] = mapped_column(String(64), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(36))
    last_platform_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
