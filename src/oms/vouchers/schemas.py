"""What the vouchers domain takes in (a completed refund's facts) and gives out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel

__all__ = ["RefundFacts", "VerifyReport", "VoucherOut"]


@dataclass(frozen=True, slots=True)
class RefundFacts:
    """A refund that has just become ``refunded``, as the refunds domain describes it."""

    tenant_id: str
    order_id: str
    order_no: str
    refund_id: str
    amount: int
    currency: str
    reason: str
    gateway: str | None
    payment_id: str | None
    trade_no: str | None
    gateway_app_id: str | None
    gateway_mch_id: str | None
    requested_at: datetime
    reviewed_at: datetime | None
    refunded_at: datetime
    gateway_result: dict[str, Any] = field(default_factory=dict)


class VerifyReport(BaseModel):
    """The outcome of checking a tenant's chain; ``first_bad_seq`` is None when it holds."""

    tenant_id: str
    is_valid: bool
    count: int
    last_seq: int
    first_bad_seq: int | None = None
    problem: str | None = None


class VoucherOut(BaseModel):
    """One voucher as a list shows it (its signed document holds the rest)."""

    seq: int
    voucher_id: str
    order_no: str
    refund_id: str
    amount: int
    currency: str
    issued_at: datetime
