"""Statement-pull tables: where a tenant's statements come from, and every pull made."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKeyConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oms.core.db import Base, JSONType, TenantKeyed, UTCDateTime

__all__ = ["PullRun", "PullSource"]


class PullSource(TenantKeyed, Base):
    """A daily statement feed: a payment platform's bill or a bank's HTTP statement endpoint.

    ``settings`` holds what is not secret (URL, format, bill type); ``sealed`` the secrets
    (the HTTP connector's auth header) sealed by ``core.secrets``. Platform bills reuse the
    tenant's payment-gateway credentials. ``next_run_at`` is when the scheduler next enqueues
    a pull; claiming it is a compare-and-set on ``version``.
    """

    __tablename__ = "finance_pull_sources"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index("uq_finance_pull_sources_name", "tenant_id", "name", unique=True),
        Index("ix_finance_pull_sources_due", "enabled", "next_run_at"),
    )

    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(24))
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType)
    sealed: Mapped[dict[str, str]] = mapped_column(JSONType)
    # Local time of day (tenant's zone) at which the previous day's statement is pulled.
    run_at_minute: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean)
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PullRun(TenantKeyed, Base):
    """One attempt to pull one day's statement from one source, and what came of it."""

    __tablename__ = "finance_pull_runs"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "source_id"],
            ["finance_pull_sources.tenant_id", "finance_pull_sources.id"],
        ),
        Index("ix_finance_pull_runs_source", "tenant_id", "source_id", "started_at"),
    )

    source_id: Mapped[str] = mapped_column(String(36))
    bill_date: Mapped[date] = mapped_column(Date)
    job_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # imported | duplicate_file | empty | failed
    outcome: Mapped[str] = mapped_column(String(16))
    statement_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    lines_added: Mapped[int] = mapped_column(Integer)
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
