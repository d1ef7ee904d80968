"""Tracking tables: per-tenant push settings and the scans carriers reported per shipment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oms.core.db import Base, TenantKeyed, UTCDateTime

__all__ = ["ShipmentScan", "TrackingConfig"]


class TrackingConfig(Base):
    """A tenant's settings for one push protocol. Secrets are sealed (core/secrets.py)."""

    __tablename__ = "tracking_configs"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    protocol: Mapped[str] = mapped_column(String(16), primary_key=True)
    # Kuaidi100 salt, SF URL token, Cainiao secretKey, Standard Webhooks whsec_ secret.
    secret_sealed: Mapped[str] = mapped_column(Text)
    # SF's checkword for the signed envelope.
    checkword_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Cainiao's app key (logistic_provider_id), not a secret.
    app_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ShipmentScan(TenantKeyed, Base):
    """One scan of a parcel, kept as the carrier said it; the same scan twice is one row."""

    __tablename__ = "shipment_scans"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "shipment_id"], ["shipments.tenant_id", "shipments.id"]),
        # (shipment, at, raw_code, text), hashed: a full Kuaidi100 snapshot re-pushes them all.
        Index("uq_shipment_scans_scan", "tenant_id", "shipment_id", "dedup_key", unique=True),
        Index("ix_shipment_scans_at", "tenant_id", "shipment_id", "at"),
    )

    shipment_id: Mapped[str] = mapped_column(String(36))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    tracking_status: Mapped[str] = mapped_column(String(32))
    tracking_sub_status: Mapped[str] = mapped_column(String(48))
    raw_code: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(200), nullable=True)
    protocol: Mapped[str] = mapped_column(String(16))
    dedup_key: Mapped[str] = mapped_column(String(64))
    inbox_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
