"""The ETA model of each tenant, stored in the database (one row, replaced when retrained)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from oms.core.db import Base, JSONType, UTCDateTime

__all__ = ["EtaModelRow"]


class EtaModelRow(Base):
    """The serialised estimator (``EtaModel.to_json``): every process reads the same one."""

    __tablename__ = "eta_models"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    model: Mapped[dict[str, Any]] = mapped_column(JSONType)
    samples: Mapped[int] = mapped_column()
    margin_seconds: Mapped[int] = mapped_column()
    # Share of the held-out newest fifth inside its window (basis points: 9170 = 91.7 %).
    calibration_coverage_bp: Mapped[int] = mapped_column()
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime())
