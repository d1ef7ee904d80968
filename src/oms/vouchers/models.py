"""Voucher tables: the tenant's signing key, the chain head (the lock), the vouchers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oms.core.db import Base, UTCDateTime

__all__ = ["Voucher", "VoucherChainHead", "VoucherKey"]


class VoucherKey(Base):
    """A tenant's Ed25519 voucher key: private key sealed, public key in clear."""

    __tablename__ = "voucher_keys"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64))  # raw key, base64
    sealed_private_key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class VoucherChainHead(Base):
    """The newest voucher of a tenant; its row lock serialises appends to the chain."""

    __tablename__ = "voucher_chain_heads"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Voucher(Base):
    """One signed voucher; append-only. ``document`` is the canonical JSON that was hashed."""

    __tablename__ = "vouchers"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index("uq_vouchers_refund", "tenant_id", "refund_id", unique=True),
    )

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(36))
    refund_id: Mapped[str] = mapped_column(String(36))
    document: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))  # base64 Ed25519 signature of the hash
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
