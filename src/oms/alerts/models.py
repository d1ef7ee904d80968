"""Alert routes, the alerts raised, their notifications, and the rate-limit windows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKeyConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oms.core.db import Base, JSONType, TenantKeyed, UTCDateTime

__all__ = [
    "AlertNotification",
    "AlertRecord",
    "AlertRoute",
    "AlertThrottle",
    "LowStockFlag",
    "LowStockRule",
]


class AlertRoute(TenantKeyed, Base):
    """Alerts of a type pattern go to one channel; URLs and secrets are sealed."""

    __tablename__ = "alert_routes"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    alert_type: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(16))
    destination_sealed: Mapped[str] = mapped_column(Text)
    destination_hint: Mapped[str] = mapped_column(String(300))
    secret_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    locale: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AlertRecord(TenantKeyed, Base):
    """One ``alert.raised`` message, once (its id is the message id), and what became of it."""

    __tablename__ = "alert_records"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index("ix_alert_records_type", "tenant_id", "alert_type", "created_at"),
    )

    alert_type: Mapped[str] = mapped_column(String(100))
    severity: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16))  # routed, suppressed, unrouted
    suppressed_before: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AlertNotification(TenantKeyed, Base):
    """One alert to one route: sent, pending (retrying) or failed."""

    __tablename__ = "alert_notifications"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "alert_id"], ["alert_records.tenant_id", "alert_records.id"]
        ),
        Index("uq_alert_notifications_route", "tenant_id", "alert_id", "route_id", unique=True),
    )

    alert_id: Mapped[str] = mapped_column(String(36))
    route_id: Mapped[str] = mapped_column(String(36))
    channel: Mapped[str] = mapped_column(String(16))
    destination_hint: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AlertThrottle(Base):
    """The current rate-limit window of one tenant and alert type (a locked row)."""

    __tablename__ = "alert_throttles"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    alert_type: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    sent: Mapped[int] = mapped_column(Integer)
    suppressed: Mapped[int] = mapped_column(Integer)
    suppressed_total: Mapped[int] = mapped_column(Integer)


class LowStockRule(Base):
    """A tenant's low-stock alert: a SKU whose available falls to ``threshold`` raises one.

    ``route_id`` names the alert route it goes to; none means every route whose pattern
    matches ``stock.low``.
    """

    __tablename__ = "alert_low_stock_rules"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    threshold: Mapped[int] = mapped_column(BigInteger)
    route_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    actor: Mapped[str | None] = mapped_column(String(128), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LowStockFlag(Base):
    """A SKU that has raised its low-stock alert and not risen above the threshold since.

    The row is what makes the alert fire once: it is inserted with the alert and deleted when
    the SKU is above the threshold again, which re-arms it.
    """

    __tablename__ = "alert_low_stock_flags"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    available: Mapped[int] = mapped_column(BigInteger)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
