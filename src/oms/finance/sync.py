"""Feeding ``expected_movements`` from the domains that move money: payments in, refunds out."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from oms.core.auth import get_tenant
from oms.core.db import table
from oms.core.ids import new_id
from oms.core.uow import Database
from oms.finance.models import ExpectedMovement
from oms.finance.schemas import MovementKind, SyncResult
from oms.payments.queries import list_confirmed_payments
from oms.payments.schemas import PaymentOut
from oms.refunds.queries import list_refunded
from oms.refunds.schemas import RefundSentOut

__all__ = ["sync_expected"]

_CHUNK = 500


def sync_expected(db: Database, tenant_id: str) -> SyncResult:
    """Add an expected movement for every confirmed payment and refunded refund not yet known.

    Idempotent per ``(kind, source_id)``. Raises: ERR_NOT_FOUND (tenant).
    """
    zone = ZoneInfo(get_tenant(db, tenant_id).timezone)
    payments = list_confirmed_payments(
        db, tenant_id, exclude_ids=_known(db, tenant_id, MovementKind.PAYMENT_RECEIVED)
    )
    refunds = list_refunded(
        db, tenant_id, exclude_ids=_known(db, tenant_id, MovementKind.REFUND_SENT)
    )
    with db.uow() as uow:
        now = uow.clock.now()
        rows = [_row(tenant_id, p, zone, now) for p in payments]
        rows += [_refund_row(tenant_id, r, zone, now) for r in refunds]
        for start in range(0, len(rows), _CHUNK):
            uow.session.execute(insert(table(ExpectedMovement)), rows[start : start + _CHUNK])
        total = uow.session.scalar(
            select(func.count()).where(
                ExpectedMovement.tenant_id == tenant_id, ExpectedMovement.status == "open"
            )
        )
        uow.commit()
    return SyncResult(added=len(rows), total_open=int(total or 0))


def _known(db: Database, tenant_id: str, kind: MovementKind) -> frozenset[str]:
    with db.reader() as session:
        return frozenset(
            session.scalars(
                select(ExpectedMovement.source_id).where(
                    ExpectedMovement.tenant_id == tenant_id, ExpectedMovement.kind == kind.value
                )
            )
        )


def _row(tenant_id: str, payment: PaymentOut, zone: ZoneInfo, now: datetime) -> dict[str, object]:
    paid = payment.gateway_paid_at or payment.settled_at or payment.created_at
    return dict(
        tenant_id=tenant_id,
        id=new_id(),
        kind=MovementKind.PAYMENT_RECEIVED.value,
        source_id=payment.id,
        amount=payment.amount,
        currency=payment.currency,
        order_no=payment.order_no,
        trade_no=payment.trade_no,
        external_id=None,
        expected_date=_local_date(paid, zone),
        status="open",
        created_at=now,
    )


def _refund_row(
    tenant_id: str, refund: RefundSentOut, zone: ZoneInfo, now: datetime
) -> dict[str, object]:
    """Money sent back: stored positive, matched against debits (the store flips the sign)."""
    return dict(
        tenant_id=tenant_id,
        id=new_id(),
        kind=MovementKind.REFUND_SENT.value,
        source_id=refund.id,
        amount=refund.amount,
        currency=refund.currency,
        order_no=refund.order_no,
        trade_no=refund.trade_no,
        # The gateway's refund id, else ours (the out_request_no / out_refund_no it was sent as).
        external_id=refund.gateway_refund_id or refund.id,
        expected_date=_local_date(refund.refunded_at, zone),
        status="open",
        created_at=now,
    )


def _local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()
