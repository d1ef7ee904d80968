"""A tenant's connection to its accounting system, and every document sent (or to send) there."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKeyConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oms.core.db import Base, JSONType, TenantKeyed, UTCDateTime

__all__ = ["AccountingConnection", "AccountingDocument"]


class AccountingConnection(Base):
    """One accounting system of a tenant (``quickbooks``, ``kingdee``, ``u8``), its sealed secret.

    ``company_id`` is the system's company (QuickBooks's realm id, Kingdee's data centre, U8's
    ``to_account``); ``item_ref`` the item the receipt line books sales to; ``account_ref`` the
    account a refund is paid from; ``settings`` the sink's other, non-secret settings (voucher
    account codes, the login user); ``refresh_sealed`` QuickBooks's rotating refresh token (and
    OAuth client secret), sealed like the token, which expires at ``token_expires_at``.
    """

    __tablename__ = "accounting_connections"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sink: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[str] = mapped_column(String(64))
    base_url: Mapped[str] = mapped_column(String(300))
    token_sealed: Mapped[str] = mapped_column(Text)
    item_ref: Mapped[str] = mapped_column(String(64))
    account_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)
    settings: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    refresh_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AccountingDocument(TenantKeyed, Base):
    """A sales receipt (a confirmed payment) or refund receipt (a refund), once per source.

    Its id is the idempotency key the system gets (QuickBooks's ``requestid``), so a resend
    never books a second document.
    """

    __tablename__ = "accounting_documents"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index(
            "ux_accounting_documents_source", "tenant_id", "sink", "kind", "source_id", unique=True
        ),
        Index("ix_accounting_documents_list", "tenant_id", "created_at", "id"),
    )

    sink: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(String(36))
    order_id: Mapped[str] = mapped_column(String(36))
    order_no: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str | None] = mapped_column(String(64), nullable=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    txn_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    external_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    ticket_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
