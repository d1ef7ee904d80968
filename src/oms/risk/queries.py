"""Risk reads: an order's assessment and the review queue."""

from __future__ import annotations

from sqlalchemy import func, select

from oms.core.uow import Database
from oms.orders import queries as order_queries
from oms.orders.errors import OrderNotFound
from oms.risk.models import Assessment, BlacklistEntry
from oms.risk.schemas import Fact, QueueItem, RiskOut
from oms.risk.states import HOLD_REASON, HoldStatus

__all__ = ["blacklist_batches", "order_features", "order_risk", "risk_out", "risk_queue"]

_MAX_ID = 36


def order_risk(db: Database, tenant_id: str, order_id: str) -> RiskOut:
    """The order's assessment; an order not assessed (yet) answers level none.

    Raises: ERR_ORDER_NOT_FOUND (also for another tenant's order or an over-long id).
    """
    if len(order_id) > _MAX_ID:
        raise OrderNotFound("no such order", order_id=order_id[:64])
    with db.reader() as session:
        row = session.get(Assessment, (tenant_id, order_id))
    if row is not None:
        return risk_out(row)
    order_queries.get_order(db, tenant_id, order_id)
    return RiskOut(
        order_id=order_id,
        level="none",
        facts=[],
        rules_hit=[],
        recommendation="accept",
        hold_status=str(HoldStatus.CLEAR),
        hold_reason=None,
        shadow_hits=[],
        assessed_at=None,
    )


def risk_queue(db: Database, tenant_id: str, *, limit: int = 100) -> list[QueueItem]:
    """Orders held for risk review, oldest hold first."""
    with db.reader() as session:
        rows = session.scalars(
            select(Assessment)
            .where(Assessment.tenant_id == tenant_id, Assessment.status == HoldStatus.HELD)
            .order_by(Assessment.held_at, Assessment.order_id)
            .limit(limit)
        ).all()
        return [
            QueueItem(
                order_id=r.order_id,
                order_no=r.order_no,
                level=r.level,
                facts=[Fact.model_validate(f) for f in r.facts],
                rules_hit=list(r.rules_hit),
                recommendation=r.recommendation,
                held_at=r.held_at,
            )
            for r in rows
        ]


def blacklist_batches(db: Database, tenant_id: str, *, limit: int = 20) -> list[dict[str, object]]:
    """The latest imports: kind, how many values, who imported them and when."""
    with db.reader() as session:
        rows = session.execute(
            select(
                BlacklistEntry.batch_id,
                BlacklistEntry.kind,
                func.count(),
                BlacklistEntry.imported_by,
                BlacklistEntry.imported_at,
            )
            .where(BlacklistEntry.tenant_id == tenant_id)
            .group_by(
                BlacklistEntry.batch_id,
                BlacklistEntry.kind,
                BlacklistEntry.imported_by,
                BlacklistEntry.imported_at,
            )
            .order_by(BlacklistEntry.imported_at.desc())
            .limit(limit)
        )
        return [
            {"batch_id": b, "kind": k, "count": n, "imported_by": who, "imported_at": at}
            for b, k, n, who, at in rows
        ]


def risk_out(row: Assessment) -> RiskOut:
    """The API's shape of an assessment row."""
    return RiskOut(
        order_id=row.order_id,
        level=row.level,
        facts=[Fact.model_validate(f) for f in row.facts],
        rules_hit=list(row.rules_hit),
        recommendation=row.recommendation,
        hold_status=row.status,
        hold_reason=HOLD_REASON if row.status == HoldStatus.HELD else None,
        shadow_hits=list(row.shadow_hits),
        assessed_at=row.assessed_at,
        decided_by=row.decided_by,
        decision_reason=row.decision_reason,
    )


def order_features(db: Database, tenant_id: str, order_id: str) -> dict[str, object]:
    """The features the rules saw for the order (empty before it is assessed)."""
    with db.reader() as session:
        row = session.get(Assessment, (tenant_id, order_id))
        return dict(row.features) if row is not None else {}
