"""The SLA board (时效看板) and the sweep that escalates red refunds.

The clock starts at the request. Open refunds are yellow from 12 h, orange from 24 h, red from
36 h. Platforms compensate the buyer 5 % of the order amount when a refund is not reviewed
within 24 h, and another 10 % when it is not refunded within 48 h: per refund the board shows
what is already incurred and what it will cost if it ages further (at risk), and totals both.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from oms.alerts.events import AlertRaised
from oms.core import audit, outbox
from oms.core.audit import Attempt, Outcome
from oms.core.context import Actor
from oms.core.uow import Database, UnitOfWork
from oms.refunds import events
from oms.refunds.models import Refund
from oms.refunds.routing import supervisor_of
from oms.refunds.schemas import Colour, SlaBoard, SlaItem
from oms.refunds.states import OPEN, RefundStatus

__all__ = [
    "REFUND_PENALTY_PCT",
    "REVIEW_PENALTY_PCT",
    "colour_of",
    "exposure",
    "sla_board",
    "sweep_red_refunds",
]

YELLOW, ORANGE, RED = timedelta(hours=12), timedelta(hours=24), timedelta(hours=36)
REVIEW_DEADLINE, REFUND_DEADLINE = timedelta(hours=24), timedelta(hours=48)
REVIEW_PENALTY_PCT, REFUND_PENALTY_PCT = 5, 10
_OPEN = [str(s) for s in OPEN]


def colour_of(age: timedelta) -> Colour:
    """The board colour of an open refund of this age."""
    if age >= RED:
        return Colour.RED
    if age >= ORANGE:
        return Colour.ORANGE
    return Colour.YELLOW if age >= YELLOW else Colour.GREEN


def _pct(total: int, pct: int) -> int:
    return (total * pct + 50) // 100  # fen, rounded half up


def exposure(
    *, order_total: int, requested_at: datetime, reviewed_at: datetime | None, now: datetime
) -> tuple[int, int]:
    """(incurred, at risk) compensation in fen for an open (not yet refunded) refund."""
    incurred = at_risk = 0
    review = _pct(order_total, REVIEW_PENALTY_PCT)
    reviewed_late = reviewed_at is not None and reviewed_at - requested_at >= REVIEW_DEADLINE
    if reviewed_late or (reviewed_at is None and now - requested_at >= REVIEW_DEADLINE):
        incurred += review
    elif reviewed_at is None:
        at_risk += review
    refund = _pct(order_total, REFUND_PENALTY_PCT)
    if now - requested_at >= REFUND_DEADLINE:
        incurred += refund
    else:
        at_risk += refund
    return incurred, at_risk


def sla_board(db: Database, tenant_id: str) -> SlaBoard:
    """Open refunds, oldest first, with colour and compensation exposure, and the totals."""
    now = db.clock.now()
    stmt = select(Refund).where(Refund.tenant_id == tenant_id, Refund.status.in_(_OPEN))
    with db.reader() as session:
        rows = list(session.scalars(stmt.order_by(Refund.requested_at, Refund.id)))
    items = [_item(r, now) for r in rows]
    counts = {str(c): sum(1 for i in items if i.colour == c) for c in Colour}
    return SlaBoard(
        as_of=now,
        items=items,
        counts=counts,
        total_incurred=sum(i.incurred for i in items),
        total_at_risk=sum(i.at_risk for i in items),
    )


def _item(refund: Refund, now: datetime) -> SlaItem:
    age = now - refund.requested_at
    incurred, at_risk = exposure(
        order_total=refund.order_total,
        requested_at=refund.requested_at,
        reviewed_at=refund.reviewed_at,
        now=now,
    )
    return SlaItem(
        refund_id=refund.id,
        order_id=refund.order_id,
        order_no=refund.order_no,
        status=RefundStatus(refund.status),
        review_group=refund.review_group,
        amount=refund.amount,
        order_total=refund.order_total,
        age_seconds=int(age.total_seconds()),
        colour=colour_of(age),
        escalated=refund.escalated_at is not None,
        incurred=incurred,
        at_risk=at_risk,
    )


def sweep_red_refunds(db: Database, *, limit: int = 500) -> int:
    """Escalate each open refund that turned red, once: mark it and raise ``refund.sla_red``.

    A compare-and-set on ``escalated_at IS NULL`` makes concurrent sweeps alert only once.
    """
    with db.uow() as uow:
        now = uow.clock.now()
        stmt = select(Refund).where(
            Refund.status.in_(_OPEN),
            Refund.escalated_at.is_(None),
            Refund.requested_at <= now - RED,
        )
        escalated = 0
        for refund in list(uow.session.scalars(stmt.order_by(Refund.requested_at).limit(limit))):
            escalated += _escalate(uow, refund, now)
        uow.commit()
    return escalated


def _escalate(uow: UnitOfWork, refund: Refund, now: datetime) -> int:
    session = uow.session
    supervisor = supervisor_of(session, refund.tenant_id, refund.review_group)
    won = session.execute(
        update(Refund)
        .where(
            Refund.tenant_id == refund.tenant_id,
            Refund.id == refund.id,
            Refund.escalated_at.is_(None),
        )
        .values(escalated_at=now, escalated_to=supervisor)
        .execution_options(synchronize_session=False)
    )
    if getattr(won, "rowcount", 0) != 1:
        return 0
    age_hours = int((now - refund.requested_at).total_seconds() // 3600)
    alert = AlertRaised(
        tenant_id=refund.tenant_id,
        type=events.SLA_RED_ALERT,
        severity="high",
        title=f"退款超时标红 / refund {refund.order_no} open for {age_hours} h",
        details={
            "refund_id": refund.id,
            "order_no": refund.order_no,
            "review_group": refund.review_group,
            "supervisor": supervisor,
            "age_hours": age_hours,
            "amount": refund.amount,
        },
    )
    outbox.add(uow, alert, now=now)
    attempt = Attempt(
        "refund",
        refund.id,
        "refund_escalated",
        Outcome.APPLIED,
        from_status=refund.status,
        to_status=refund.status,
        source="system:refund-sla",
        details={"supervisor": supervisor},
        occurred_at=now,
    )
    audit.record_attempt(session, Actor.system(refund.tenant_id, "refund-sla"), attempt, now=now)
    return 1
