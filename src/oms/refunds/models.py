"""Refund tables: requests, routing rules, review groups, auto-refund settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKeyConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oms.core.db import Base, JSONType, TenantKeyed, UTCDateTime

__all__ = [
    "Refund",
    "RefundAdvice",
    "RefundGroup",
    "RefundGroupMember",
    "RefundRule",
    "RefundSettings",
]


class Refund(TenantKeyed, Base):
    """Money to send back for an order, from request to the gateway's confirmation."""

    __tablename__ = "refunds"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "order_id"], ["orders.tenant_id", "orders.id"]),
        Index("uq_refunds_request_id", "tenant_id", "request_id", unique=True),
        # One refund per orphaned payment, however often payment.orphaned is delivered.
        Index("uq_refunds_orphan_payment", "tenant_id", "orphan_payment_id", unique=True),
        Index("ix_refunds_order", "tenant_id", "order_id"),
        Index("ix_refunds_status", "tenant_id", "status", "requested_at"),
        Index("ix_refunds_buyer", "tenant_id", "buyer_id"),
    )

    order_id: Mapped[str] = mapped_column(String(36))
    order_no: Mapped[str] = mapped_column(String(32))
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str] = mapped_column(String(16))  # whole | lines | amount | orphan
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    order_total: Mapped[int] = mapped_column(BigInteger)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    customer_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    evidence: Mapped[list[str]] = mapped_column(JSONType)
    channel: Mapped[str] = mapped_column(String(64))
    buyer_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # What the money goes back through: a gateway payment, or the channel (no gateway payment).
    gateway: Mapped[str | None] = mapped_column(String(16), nullable=True)
    payment_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    trade_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    paid_amount: Mapped[int] = mapped_column(BigInteger)
    orphan_payment_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    review_group: Mapped[str] = mapped_column(String(64))
    template: Mapped[dict[str, Any]] = mapped_column(JSONType)
    auto_decision: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decision_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    gateway_result: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    returned: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    escalated_to: Mapped[str | None] = mapped_column(String(128), nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __mapper_args__ = {"version_id_col": version}


class RefundRule(Base):
    """One routing rule; the lowest position that matches wins."""

    __tablename__ = "refund_rules"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    reason: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(64), nullable=True)
    min_amount: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    max_amount: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    review_group: Mapped[str] = mapped_column(String(64))
    template: Mapped[dict[str, Any]] = mapped_column(JSONType)


class RefundGroup(Base):
    """A review group and the supervisor its red refunds escalate to."""

    __tablename__ = "refund_groups"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    supervisor: Mapped[str | None] = mapped_column(String(128), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RefundGroupMember(Base):
    """A principal (``apikey:<id>``, ``user:<id>``) who may decide the group's refunds."""

    __tablename__ = "refund_group_members"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "group_name"], ["refund_groups.tenant_id", "refund_groups.name"]
        ),
    )

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    group_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    principal: Mapped[str] = mapped_column(String(128), primary_key=True)


class RefundSettings(Base):
    """Auto-refund for trusted customers (免审直退), per tenant."""

    __tablename__ = "refund_settings"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    auto_refund_enabled: Mapped[bool] = mapped_column(Boolean)
    min_history_days: Mapped[int] = mapped_column(Integer)
    # Basis points: 200 = 2 %. A buyer qualifies when the rate is strictly under it.
    max_return_rate_bp: Mapped[int] = mapped_column(Integer)
    require_no_disputes: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RefundAdvice(Base):
    """The strategy advised for a refund request, the reviewer's choice and the outcome."""

    __tablename__ = "refund_advice"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "refund_id"], ["refunds.tenant_id", "refunds.id"]),
        Index("ix_refund_advice_advised", "tenant_id", "advised_at"),
    )

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    refund_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    buyer_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    strategy: Mapped[str] = mapped_column(
        String(16)
    )  # original_route | store_balance | goodwill_gift
    reasons: Mapped[list[str]] = mapped_column(JSONType)
    figures: Mapped[dict[str, Any]] = mapped_column(JSONType)
    advised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    chosen: Mapped[str | None] = mapped_column(String(16), nullable=True)
    chosen_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    chosen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The buyer's answer to the feedback request after the refund (1-5), when it came.
    feedback_score: Mapped[int | None] = mapped_column(Integer, nullable=True)
