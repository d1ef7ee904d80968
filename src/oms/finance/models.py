"""Finance tables: statements, their lines, expected movements, matches, tenant settings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from oms.core.db import Base, JSONType, UTCDateTime

__all__ = [
    "BankStatement",
    "ExpectedMovement",
    "FinanceMatch",
    "FinanceSettings",
    "StatementLine",
]


class FinanceSettings(Base):
    """Per-tenant matching settings and the CSV column layout."""

    __tablename__ = "finance_settings"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    amount_tolerance: Mapped[int] = mapped_column(BigInteger)
    date_window_days: Mapped[int] = mapped_column(Integer)
    auto_confirm_score: Mapped[int] = mapped_column(Integer)
    csv_layout: Mapped[dict[str, Any]] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BankStatement(Base):
    """One imported file, recorded once per content hash."""

    __tablename__ = "bank_statements"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index("uq_bank_statements_file", "tenant_id", "file_sha256", unique=True),
    )

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    format: Mapped[str] = mapped_column(String(16))
    file_sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str | None] = mapped_column(String(255), nullable=True)
    account: Mapped[str | None] = mapped_column(String(64), nullable=True)
    line_count: Mapped[int] = mapped_column(Integer)
    lines_added: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str] = mapped_column(String(128))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StatementLine(Base):
    """A booked bank entry; ``amount`` is signed fen (credit positive)."""

    __tablename__ = "statement_lines"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "statement_id"], ["bank_statements.tenant_id", "bank_statements.id"]
        ),
        Index("uq_statement_lines_dedupe", "tenant_id", "dedupe_key", unique=True),
        Index("ix_statement_lines_status", "tenant_id", "status"),
    )

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    statement_id: Mapped[str] = mapped_column(String(36))
    line_no: Mapped[int] = mapped_column(Integer)
    dedupe_key: Mapped[str] = mapped_column(String(64))
    value_date: Mapped[date] = mapped_column(Date)
    booking_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    memo: Mapped[str] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(140), nullable=True)
    bank_reference: Mapped[str | None] = mapped_column(String(140), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ExpectedMovement(Base):
    """Money we expect on the bank account: a payment received or (later) a refund sent."""

    __tablename__ = "expected_movements"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index("uq_expected_movements_source", "tenant_id", "kind", "source_id", unique=True),
        Index("ix_expected_movements_status", "tenant_id", "status"),
    )

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    source_id: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    order_no: Mapped[str | None] = mapped_column(String(32), nullable=True)
    trade_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    external_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    expected_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FinanceMatch(Base):
    """One line-movement pair the engine proposed or a person made; split/merged share a group."""

    __tablename__ = "finance_matches"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "line_id"], ["statement_lines.tenant_id", "statement_lines.id"]
        ),
        ForeignKeyConstraint(
            ["tenant_id", "movement_id"],
            ["expected_movements.tenant_id", "expected_movements.id"],
        ),
        Index("ix_finance_matches_status", "tenant_id", "status"),
        Index("ix_finance_matches_group", "tenant_id", "group_id"),
        Index("ix_finance_matches_line", "tenant_id", "line_id"),
    )

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    group_id: Mapped[str] = mapped_column(String(36))
    line_id: Mapped[str] = mapped_column(String(36))
    movement_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(16))
    score: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[str]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
