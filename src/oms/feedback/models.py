"""Feedback on completed refunds: one request per refund, answered at most once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKeyConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from oms.core.db import Base, UTCDateTime

__all__ = ["FeedbackRequest"]


class FeedbackRequest(Base):
    """The customer's answer to "handled promptly?" and "money arrived fast?" for a refund.

    The review group and the agent (the approver) are copied from the refund when it
    completes, so the summary needs no other domain's tables.
    """

    __tablename__ = "refund_feedback"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index("ix_refund_feedback_group", "tenant_id", "review_group"),
    )

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    refund_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    order_no: Mapped[str] = mapped_column(String(32))
    review_group: Mapped[str] = mapped_column(String(64))
    agent: Mapped[str | None] = mapped_column(String(128), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    is_handled_promptly: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    is_arrived_fast: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
