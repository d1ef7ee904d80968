"""Risk tables: merchant rules, blacklists, the signals behind the online windows, and each
order's assessment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from oms.core.db import Base, JSONType, TenantKeyed, UTCDateTime

__all__ = ["Assessment", "BlacklistEntry", "ClusterCell", "DelayFlag", "RiskRule", "Signal"]


class RiskRule(TenantKeyed, Base):
    """A merchant's rule: a rule-engine expression over the order's features and an action."""

    __tablename__ = "risk_rules"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index("uq_risk_rules_name", "tenant_id", "name", unique=True),
    )

    name: Mapped[str] = mapped_column(String(100))
    expression: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(Boolean)
    # Shadow: evaluated and recorded on the assessment, never acted on.
    shadow: Mapped[bool] = mapped_column(Boolean)
    builtin: Mapped[bool] = mapped_column(Boolean)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BlacklistEntry(TenantKeyed, Base):
    """One blacklisted phone, address, IP or buyer id, with who imported it and when."""

    __tablename__ = "risk_blacklist"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index("uq_risk_blacklist_value", "tenant_id", "kind", "value", unique=True),
    )

    kind: Mapped[str] = mapped_column(String(16))
    # Normalised as the signals are (``signals.normalise``), so a lookup is an equality.
    value: Mapped[str] = mapped_column(String(500))
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    imported_by: Mapped[str] = mapped_column(String(128))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    batch_id: Mapped[str] = mapped_column(String(36))


class Signal(Base):
    """One order's key of one kind (ip, device, phone, address, buyer, geo7) at its time.

    The sliding windows are counts over these rows, so every process sees the same windows
    and a window is exact to the second; rows older than the longest window only serve the
    buyer's history (kind ``buyer`` keeps ``amount``).
    """

    __tablename__ = "risk_signals"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index("ix_risk_signals_key", "tenant_id", "kind", "value", "at"),
        Index("ix_risk_signals_at", "tenant_id", "at"),
    )

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    amount: Mapped[int] = mapped_column(BigInteger)
    # The delivery point in WGS-84 on the ``geo7`` row (None on other kinds): what the offline
    # clustering (``risk.clusters``) reads.
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lng: Mapped[float | None] = mapped_column(Float, nullable=True)


class ClusterCell(Base):
    """A geohash-7 cell holding a member of a delivery cluster ``oms risk clusters`` found:
    the cluster's size is the ``address_cluster_size`` feature of a later order in the cell."""

    __tablename__ = "risk_cluster_cells"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    cell: Mapped[str] = mapped_column(String(12), primary_key=True)
    cluster_orders: Mapped[int] = mapped_column(Integer)
    cluster_buyers: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Assessment(Base):
    """An order's risk assessment and where its hold stands (``states.HOLD_MACHINE``)."""

    __tablename__ = "risk_assessments"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index("ix_risk_assessments_queue", "tenant_id", "status", "assessed_at"),
        Index("ix_risk_assessments_assessed", "tenant_id", "assessed_at"),
    )

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    order_no: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(8))
    recommendation: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    facts: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    rules_hit: Mapped[list[str]] = mapped_column(JSONType)
    shadow_hits: Mapped[list[str]] = mapped_column(JSONType)
    # The features the rules saw: what a dry run of a new rule evaluates.
    features: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(24))
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)


class DelayFlag(Base):
    """A parcel in flight the delay model flagged (``oms risk delay predict --tenant``), with
    its suggestion and whether ops accepted it (who, when, what they did)."""

    __tablename__ = "risk_delay_flags"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index("ix_risk_delay_flags_p", "tenant_id", "p_late_ppm", "shipment_id"),
    )

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    shipment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(36))
    carrier: Mapped[str] = mapped_column(String(64))
    route: Mapped[str] = mapped_column(String(200))
    # Parts per million (predict writes six decimals): an exact integer, so a paging key.
    p_late_ppm: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[str] = mapped_column(String(1000))
    suggestion: Mapped[str] = mapped_column(String(200))
    predicted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    decision_action: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
