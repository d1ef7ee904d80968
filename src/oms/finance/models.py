"""Finance tables: statements, their lines, expected movements, matches, tenant settings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from oms.core.db import Base, JSONType, TenantKeyed, UTCDateTime

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
    # One line paying several orders, every reference in the memo, sum within tolerance.
    auto_confirm_merged: Mapped[bool] = mapped_column(Boolean, server_default=true())
    csv_layout: Mapped[dict[str, Any]] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BankStatement(TenantKeyed, Base):
    """One imported file, recorded once per content hash."""

    __tablename__ = "bank_statements"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index("uq_bank_statements_file", "tenant_id", "file_sha256", unique=True),
    )

    format: Mapped[str] = mapped_column(String(16))
    file_sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str | None] = mapped_column(String(255), nullable=True)
    account: Mapped[str | None] = mapped_column(String(64), nullable=True)
    line_count: Mapped[int] = mapped_column(Integer)
    lines_added: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str] = mapped_column(String(128))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The statement-pull source that fetched the file (finance.pulls), None for uploads.
    source_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class StatementLine(TenantKeyed, Base):
    """A booked bank entry; ``amount`` is signed fen (credit positive)."""

    __tablename__ = "statement_lines"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "statement_id"], ["bank_statements.tenant_id", "bank_statements.id"]
        ),
        Index("uq_statement_lines_dedupe", "tenant_id", "dedupe_key", unique=True),
        Index("ix_statement_lines_status", "tenant_id", "status"),
    )

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
    # camt.053 NtryRef (MT940 and CSV have none).
    entry_reference: Mapped[str | None] = mapped_column(String(140), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ExpectedMovement(TenantKeyed, Base):
    """Money we expect on the bank account: a payment received or a refund sent.

    It carries every reference a payer or a bank may write for that money, so the engine can
    search them all: the oms order number, the gateway trade number, the platform's order
    number (``external_id``), the refund request number (our ``out_request_no`` /
    ``out_refund_no``) and the gateway's refund number; and the buyer's name, for lines that
    carry no reference at all.
    """

    __tablename__ = "expected_movements"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index("uq_expected_movements_source", "tenant_id", "kind", "source_id", unique=True),
        Index("ix_expected_movements_status", "tenant_id", "status"),
        Index("ix_expected_movements_order", "tenant_id", "order_id"),
    )

    kind: Mapped[str] = mapped_column(String(24))
    source_id: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    order_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    order_no: Mapped[str | None] = mapped_column(String(32), nullable=True)
    trade_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    external_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    refund_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    gateway_refund_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    payer_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    expected_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FinanceMatch(TenantKeyed, Base):
    """One line-movement pair the engine proposed or a person made; split/merged share a group.

    ``order_id``/``order_no`` are the movement's order, copied when the pair is written so a
    reader needs no join; ``rank`` orders the candidates of a line that named no reference
    (1 = best). ``reasons`` are ``{"code", "params"}`` objects (``finance.reasons``).
    """

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

    group_id: Mapped[str] = mapped_column(String(36))
    line_id: Mapped[str] = mapped_column(String(36))
    movement_id: Mapped[str] = mapped_column(String(36))
    order_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    order_no: Mapped[str | None] = mapped_column(String(32), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))
    score: Mapped[int] = mapped_column(Integer)
    rank: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
