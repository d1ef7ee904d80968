"""Feeding ``expected_movements`` from the domains that move money: payments in, refunds out.

Finance reads payments, refunds and orders only through their query functions. Each movement
carries every reference a payer or a bank may write for its money (see ``ExpectedMovement``)
and the buyer's name.

Two syncs may run at once (a cron and a person pressing the button): rows are inserted with
``ON CONFLICT DO NOTHING`` on ``(tenant_id, kind, source_id)``, so the second one skips what
the first added instead of failing on the unique index. Movements written before they carried
all references (no ``order_id``) get their references filled in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from oms.core.auth import get_tenant
from oms.core.db import table
from oms.core.ids import new_id
from oms.core.uow import Database, UnitOfWork
from oms.finance.models import ExpectedMovement
from oms.finance.schemas import MovementKind, SyncResult
from oms.finance.states import MovementStatus
from oms.orders.queries import OrderReference, order_references
from oms.payments.queries import list_confirmed_payments
from oms.payments.schemas import PaymentOut
from oms.refunds.queries import list_refunded
from oms.refunds.schemas import RefundSentOut

__all__ = ["sync_expected"]

_CHUNK = 500
_REFERENCES = (
    *("order_id", "order_no", "trade_no", "external_id"),
    *("refund_no", "gateway_refund_no", "payer_name"),
)


def sync_expected(db: Database, tenant_id: str) -> SyncResult:
    """Add an expected movement for every confirmed payment and refunded refund not yet known,
    and fill in the references of movements written before they carried them all.

    Idempotent per ``(kind, source_id)``, also when two runs overlap. Raises: ERR_NOT_FOUND
    (tenant).
    """
    zone = ZoneInfo(get_tenant(db, tenant_id).timezone)
    complete, legacy = _known(db, tenant_id)
    payments = list_confirmed_payments(
        db, tenant_id, exclude_ids=complete[MovementKind.PAYMENT_RECEIVED]
    )
    refunds = list_refunded(db, tenant_id, exclude_ids=complete[MovementKind.REFUND_SENT])
    orders = order_references(
        db, tenant_id, [p.order_id for p in payments] + [r.order_id for r in refunds]
    )
    with db.uow() as uow:
        now = uow.clock.now()
        rows = [_row(tenant_id, p, orders.get(p.order_id), zone, now) for p in payments]
        rows += [_refund_row(tenant_id, r, orders.get(r.order_id), zone, now) for r in refunds]
        added = _insert_new(uow, rows)
        updated = _fill_references(uow, tenant_id, [r for r in rows if _key(r) in legacy])
        total = uow.session.scalar(
            select(func.count()).where(
                ExpectedMovement.tenant_id == tenant_id,
                ExpectedMovement.status == MovementStatus.OPEN,
            )
        )
        uow.commit()
    return SyncResult(added=added, updated=updated, total_open=int(total or 0))


def _known(
    db: Database, tenant_id: str
) -> tuple[dict[MovementKind, frozenset[str]], set[tuple[str, str]]]:
    """Source ids per kind of movements that carry their order (nothing to do), and the
    (kind, source id) of those written without it."""
    complete: dict[MovementKind, set[str]] = {kind: set() for kind in MovementKind}
    legacy: set[tuple[str, str]] = set()
    m = ExpectedMovement
    with db.reader() as session:
        rows = session.execute(
            select(m.kind, m.source_id, m.order_id).where(m.tenant_id == tenant_id)
        )
        for kind, source_id, order_id in rows:
            if order_id is None:
                legacy.add((kind, source_id))
            else:
                complete[MovementKind(kind)].add(source_id)
    return {kind: frozenset(ids) for kind, ids in complete.items()}, legacy


def _key(row: dict[str, object]) -> tuple[str, str]:
    return str(row["kind"]), str(row["source_id"])


def _insert_new(uow: UnitOfWork, rows: Sequence[dict[str, object]]) -> int:
    """Insert what is not there yet; a row another sync committed first is skipped."""
    insert = pg_insert if uow.is_postgres else sqlite_insert
    added = 0
    for start in range(0, len(rows), _CHUNK):
        stmt = (
            insert(table(ExpectedMovement))
            .values(list(rows[start : start + _CHUNK]))
            .on_conflict_do_nothing(index_elements=["tenant_id", "kind", "source_id"])
            .returning(ExpectedMovement.id)
        )
        added += len(uow.session.execute(stmt).all())
    return added


def _fill_references(uow: UnitOfWork, tenant_id: str, rows: Sequence[dict[str, object]]) -> int:
    """Give movements written without their order (older syncs) every reference."""
    m = ExpectedMovement
    updated = 0
    for row in rows:
        result = uow.session.execute(
            update(m)
            .where(
                m.tenant_id == tenant_id,
                m.kind == row["kind"],
                m.source_id == row["source_id"],
                m.order_id.is_(None),
            )
            .values({name: row[name] for name in _REFERENCES})
        )
        updated += int(getattr(result, "rowcount", 0) or 0)
    return updated


def _row(
    tenant_id: str,
    payment: PaymentOut,
    order: OrderReference | None,
    zone: ZoneInfo,
    now: datetime,
) -> dict[str, object]:
    paid = payment.gateway_paid_at or payment.settled_at or payment.created_at
    kind = MovementKind.PAYMENT_RECEIVED
    return _movement(tenant_id, kind, payment, order, _local_date(paid, zone), now)


def _refund_row(
    tenant_id: str,
    refund: RefundSentOut,
    order: OrderReference | None,
    zone: ZoneInfo,
    now: datetime,
) -> dict[str, object]:
    """Money sent back: stored positive, matched against debits (the store flips the sign)."""
    sent = _local_date(refund.refunded_at, zone)
    row = _movement(tenant_id, MovementKind.REFUND_SENT, refund, order, sent, now)
    # What the refund was sent to the gateway as (out_request_no / out_refund_no).
    row.update(refund_no=refund.id, gateway_refund_no=refund.gateway_refund_id)
    return row


def _movement(
    tenant_id: str,
    kind: MovementKind,
    source: PaymentOut | RefundSentOut,
    order: OrderReference | None,
    expected_date: date,
    now: datetime,
) -> dict[str, object]:
    """The open expected movement a payment or a refund stands for (refund numbers unset)."""
    return dict(
        tenant_id=tenant_id,
        id=new_id(),
        kind=kind.value,
        source_id=source.id,
        amount=source.amount,
        currency=source.currency,
        order_id=source.order_id,
        order_no=source.order_no,
        trade_no=source.trade_no,
        external_id=order.external_id if order else None,
        refund_no=None,
        gateway_refund_no=None,
        payer_name=_name(order),
        expected_date=expected_date,
        status=MovementStatus.OPEN.value,
        created_at=now,
    )


def _name(order: OrderReference | None) -> str | None:
    return order.buyer_name[:200] if order and order.buyer_name else None


def _local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()
