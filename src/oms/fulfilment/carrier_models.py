"""Carriers a tenant ships with, and the SKU attributes that decide which carrier may carry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKeyConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from oms.core.db import Base, JSONType, UTCDateTime

__all__ = ["Carrier", "SkuAttributes"]


class Carrier(Base):
    """One carrier of a tenant, named by its Kuaidi100 company code.

    A tenant with no rows uses the built-in defaults (``carriers.DEFAULT_CARRIERS``); its first
    write copies them in, so a removed carrier stays removed (``disabled_at``) and defaults never
    come back behind the merchant's back.
    """

    __tablename__ = "carriers"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[int] = mapped_column(Integer)
    capabilities: Mapped[list[str]] = mapped_column(JSONType)
    # Province names served; empty: nationwide.
    regions: Mapped[list[str]] = mapped_column(JSONType)
    max_weight_grams: Mapped[int] = mapped_column(Integer)
    # [{code, name, sla_hours, first_weight_grams, first_fee, additional_fee_per_kg}], fen.
    services: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    version: Mapped[int] = mapped_column(Integer)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SkuAttributes(Base):
    """What planning must know of a SKU: handling needs and weight. No row: nothing special."""

    __tablename__ = "sku_attributes"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    # A subset of cold_chain, installation, bulky, fragile, hazardous.
    needs: Mapped[list[str]] = mapped_column(JSONType)
    weight_grams: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
