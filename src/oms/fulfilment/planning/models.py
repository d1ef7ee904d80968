"""Stored fulfilment plans: one per order, computed when it is paid, overridable by ops."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKeyConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oms.core.db import Base, JSONType, UTCDateTime

__all__ = ["FulfilmentPlan"]


class FulfilmentPlan(Base):
    """The order's plan: ``shipments`` and ``alternatives`` as the API shows them."""

    __tablename__ = "fulfilment_plans"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "order_id"], ["orders.tenant_id", "orders.id"]),
    )

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # planner: computed on payment; override: set by a person (who and why on the timeline).
    origin: Mapped[str] = mapped_column(String(16))
    shipments: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    alternatives: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    # Plan-wide reasons (e.g. no carrier possible), machine-readable {code, params}.
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    is_complete: Mapped[bool] = mapped_column()
    total_cost: Mapped[int] = mapped_column(Integer)
    override_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    ticket_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
