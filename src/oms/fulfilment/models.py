"""Shipments reported by warehouse systems, with the lines that actually went out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKeyConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from oms.core.db import Base, JSONType, TenantKeyed, UTCDateTime

__all__ = ["Shipment"]


class Shipment(TenantKeyed, Base):
    __tablename__ = "shipments"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "order_id"], ["orders.tenant_id", "orders.id"]),
        # The same parcel reported twice is one shipment.
        Index("uq_shipments_parcel", "tenant_id", "carrier", "tracking_no", unique=True),
        Index("ix_shipments_order", "tenant_id", "order_id"),
        # The console's order search by tracking number (any carrier).
        Index("ix_shipments_tracking", "tenant_id", "tracking_no"),
        # The stall sweep walks parcels by their newest scan, across tenants.
        Index("ix_shipments_last_scan", "last_scan_at"),
    )

    order_id: Mapped[str] = mapped_column(String(36))
    warehouse: Mapped[str] = mapped_column(String(64))
    carrier: Mapped[str] = mapped_column(String(64))
    tracking_no: Mapped[str] = mapped_column(String(64))
    # accepted: matched the order and counts as shipped; mismatched: a ticket holds it.
    status: Mapped[str] = mapped_column(String(16))
    is_final: Mapped[bool] = mapped_column()
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    differences: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    ticket_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    shipped_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Carrier tracking (fulfilment/tracking): the newest scan's normalised status, mirrored
    # from the carrier (not an oms decision, so no machine); null until the first scan.
    tracking_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    tracking_sub_status: Mapped[str | None] = mapped_column(String(48), nullable=True)
    raw_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    last_scan_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The parcel's route for the ETA (fulfilment/eta): the warehouse's province and the
    # shipping address's, as known when it shipped; null when unknown (older rows too).
    origin_province: Mapped[str | None] = mapped_column(String(100), nullable=True)
    destination_province: Mapped[str | None] = mapped_column(String(100), nullable=True)
    eta_from: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    eta_to: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
