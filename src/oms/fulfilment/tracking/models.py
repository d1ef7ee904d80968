"""Tracking tables: per-tenant push settings and the scans carriers reported per shipment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oms.core.db import Base, TenantKeyed, UTCDateTime

__all__ = ["ShipmentScan", "TrackingConfig", "UnmatchedParcel"]


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


class UnmatchedParcel(TenantKeyed, Base):
    """A parcel a verified push named before oms knew it: applied once its shipment exists.

    Carriers push from their own first scan (揽收), which can come before the merchant's
    system records the shipment; the push is kept in the inbox, and this row finds it again
    by tracking number when the shipment is recorded (``tracking.replay_unmatched``).
    """

    __tablename__ = "tracking_unmatched_parcels"
    __table_args__ = (
        Index("uq_tracking_unmatched_push", "tenant_id", "inbox_id", "tracking_no", unique=True),
        Index("ix_tracking_unmatched_parcel", "tenant_id", "tracking_no"),
    )

    inbox_id: Mapped[str] = mapped_column(String(36))
    protocol: Mapped[str] = mapped_column(String(16))
    # The carrier as the push named it, in Kuaidi100's codes (canonical_carrier).
    carrier: Mapped[str] = mapped_column(String(64))
    tracking_no: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    replayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
