"""Exception tickets: work a person must do, with its comments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKeyConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oms.core.db import Base, JSONType, TenantKeyed, UTCDateTime

__all__ = ["ExceptionTicket", "TicketComment"]


class ExceptionTicket(TenantKeyed, Base):
    """Something a person must look at: a stock shortage on a paid order, a shipment mismatch."""

    __tablename__ = "exception_tickets"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index("ix_exception_tickets_queue", "tenant_id", "status", "kind", "created_at"),
        Index("ix_exception_tickets_order", "tenant_id", "order_id"),
    )

    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    order_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    assignee_role: Mapped[str] = mapped_column(String(32))
    assignee: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # The English text of the title; a ticket oms opened also has its code and parameters,
    # which the console renders in the reader's language (older rows have only ``title``).
    title: Mapped[str] = mapped_column(String(300))
    title_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    title_params: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType)
    resolution: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class TicketComment(TenantKeyed, Base):
    __tablename__ = "ticket_comments"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "ticket_id"], ["exception_tickets.tenant_id", "exception_tickets.id"]
        ),
    )

    ticket_id: Mapped[str] = mapped_column(String(36))
    author: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text)
    # A comment oms wrote: its code and parameters (``body`` is their English rendering).
    code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    params: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
