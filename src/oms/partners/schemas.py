"""What the partner overview shows of each tenant."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from oms.core.tenant_states import TenantStatus

__all__ = ["HealthFinding", "TenantOverview"]


class HealthFinding(BaseModel):
    """One finding of a channel's webhook health check (``oms channels check``)."""

    channel: str
    check: str
    severity: Literal["info", "warning", "critical"]
    message: str
    fix: str


class TenantOverview(BaseModel):
    tenant_id: str
    name: str
    status: TenantStatus
    external_ref: str | None
    last_delivery_at: datetime | None = Field(
        description="the newest verified platform delivery, any channel (null: none yet)"
    )
    sync_lag_seconds: float | None = Field(description="now minus last_delivery_at")
    is_lagging: bool = Field(description="sync lag over the threshold asked for")
    findings: list[HealthFinding] = Field(description="warnings and worse only")
    dead_jobs: int = Field(description="jobs parked dead, waiting for a retry by hand")
    open_tickets: int = Field(description="exception tickets not yet resolved")
