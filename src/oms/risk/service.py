"""Risk use cases on orders: assess at placement, hold when paid, a reviewer's decision.

Each public function is one command (one unit of work, one commit), except that cancelling a
paid order first asks refunds for the whole amount (its own command, idempotent by request
id) and then records the decision, so a retry after a failure between the two does both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from oms.core import audit
from oms.core.audit import Attempt, Outcome
from oms.core.context import Actor
from oms.core.repo import insert_ignore
from oms.core.uow import Database, UnitOfWork
from oms.orders import queries as order_queries
from oms.orders import service as orders
from oms.orders.errors import OrderNotFound
from oms.orders.schemas import OrderEventIn
from oms.orders.states import OrderEvent, OrderStatus
from oms.refunds import service as refunds
from oms.refunds.schemas import RefundIn, RefundReason
from oms.risk import assessment, features, rulebook, signals
from oms.risk.delays import delay_out
from oms.risk.errors import DelayFlagNotFound, NotHeld
from oms.risk.models import Assessment, DelayFlag
from oms.risk.queries import risk_out
from oms.risk.rules import Action
from oms.risk.schemas import DelayDecisionIn, DelayOut, RiskOut
from oms.risk.states import HOLD_MACHINE, HOLD_REASON, HoldStatus

__all__ = ["assess_order", "cancel_held", "decide_delay", "hold_if_awaiting", "release_held"]

_SOURCE = "risk:rules"
_MAX_ID = 36


def assess_order(db: Database, tenant_id: str, order_id: str) -> RiskOut:
    """Compute the order's features, evaluate the tenant's rules, record the assessment and
    act on it: hold (reason ``high_risk``), cancel an unpaid order a ``block`` rule hit, or
    wait for payment to hold. Idempotent: an assessed order keeps its assessment.

    Raises: ERR_ORDER_NOT_FOUND.
    """
    order = order_queries.get_order(db, tenant_id, order_id)
    facts = features.OrderFacts(
        order_id=order.id,
        keys=signals.keys_of(order),
        placed_at=order.placed_at,
        amount=order.totals.total,
        channel=order.channel,
        phone=(order.shipping_address or {}).get("phone") or order.buyer.get("phone"),
        point=signals.point_of(order),
    )
    with db.uow() as uow:
        existing = uow.session.get(Assessment, (tenant_id, order_id))
        if existing is not None:
            return risk_out(existing)
        now = uow.clock.now()
        compiled = rulebook.live_rules(uow, tenant_id)
        features.record_signals(uow, tenant_id, facts)
        seen = features.compute(uow, tenant_id, facts)
        verdict = assessment.judge(seen, rulebook.evaluate(compiled, seen))
        row = Assessment(
            tenant_id=tenant_id,
            order_id=order.id,
            order_no=order.order_no,
            level=verdict.level,
            recommendation=verdict.recommendation,
            action=verdict.action,
            facts=verdict.facts,
            rules_hit=verdict.rules_hit,
            shadow_hits=verdict.shadow_hits,
            features=seen,
            status=str(HoldStatus.CLEAR),
            assessed_at=now,
            updated_at=now,
        )
        if not insert_ignore(uow, Assessment, _columns(row)):
            return risk_out(existing or row)  # a concurrent run assessed it first
        _on_timeline(uow, tenant_id, order.id, "risk_assessed", _summary(verdict), now)
        _act(uow, row, now)
        uow.commit()
        return risk_out(row)


def decide_delay(db: Database, actor: Actor, shipment_id: str, data: DelayDecisionIn) -> DelayOut:
    """Record whether ops accepted the delay suggestion for a flagged parcel (who, when, what
    was done), on the order's timeline too; a later decision replaces the earlier one.

    Raises: ERR_RISK_DELAY_FLAG_NOT_FOUND.
    """
    with db.uow() as uow:
        row = uow.session.get(DelayFlag, (actor.tenant_id, shipment_id), with_for_update=True)
        if row is None:
            raise DelayFlagNotFound(
                "no delay flag for this shipment", shipment_id=shipment_id[:_MAX_ID]
            )
        now = uow.clock.now()
        row.accepted, row.decision_action = data.accepted, data.action
        row.decision_reason, row.decided_by, row.decided_at = data.reason, actor.principal, now
        details = {
            "shipment_id": shipment_id,
            "accepted": data.accepted,
            "action": data.action,
            "suggestion": row.suggestion,
            "p_late": row.p_late_ppm / 1_000_000,
        }
        _on_timeline(
            uow,
            actor.tenant_id,
            row.order_id,
            "delay_suggestion_decided",
            details,
            now,
            actor=actor,
            reason=data.reason,
        )
        uow.commit()
        return delay_out(row)


def hold_if_awaiting(db: Database, tenant_id: str, order_id: str) -> bool:
    """Hold a just-paid order whose assessment waits for its payment. True when it held it."""
    with db.uow() as uow:
        row = _lock(uow, tenant_id, order_id)
        if row is None or row.status != HoldStatus.AWAITING_PAYMENT:
            return False
        now = uow.clock.now()
        held = _order_event(uow, row, OrderEvent.HOLD, HOLD_REASON, now)
        _move(uow, row, HoldStatus.HELD if held else HoldStatus.CLEAR, now)
        uow.commit()
        return held


def release_held(db: Database, actor: Actor, order_id: str, *, reason: str) -> RiskOut:
    """A reviewer releases a held order (it goes back to paid) with a reason.

    Raises: ERR_ORDER_NOT_FOUND, ERR_RISK_NOT_HELD, the lifecycle's refusals.
    """
    with db.uow() as uow:
        row = _held(uow, actor.tenant_id, order_id)
        now = uow.clock.now()
        _result, error = orders.apply_event_in(
            uow,
            actor,
            order_id,
            OrderEventIn(event=OrderEvent.RELEASE, source=_SOURCE, reason=reason),
        )
        if error is not None:
            raise error
        _decide(uow, actor, row, HoldStatus.RELEASED, reason, now)
        uow.commit()
        return risk_out(row)


def cancel_held(db: Database, actor: Actor, order_id: str, *, reason: str) -> RiskOut:
    """A reviewer cancels a held order: refunds are asked for all that was paid (the refund's
    completion closes the order, as for any full refund) and the decision is recorded.

    Raises: ERR_ORDER_NOT_FOUND, ERR_RISK_NOT_HELD, the refunds service's refusals.
    """
    with db.uow() as uow:
        _held(uow, actor.tenant_id, order_id)
    refunds.request_refund(
        db,
        actor,
        RefundIn(
            order_id=order_id,
            whole_order=True,
            reason=RefundReason.OTHER,
            customer_note=f"cancelled after risk review: {reason}"[:2000],
            request_id=f"risk-cancel-{order_id}",
        ),
    )
    with db.uow() as uow:
        row = _held(uow, actor.tenant_id, order_id)
        _decide(uow, actor, row, HoldStatus.CANCELLED, reason, uow.clock.now())
        uow.commit()
        return risk_out(row)


def _act(uow: UnitOfWork, row: Assessment, now: datetime) -> None:
    if row.action == Action.ALLOW:
        return
    view = orders.refund_view(uow, row.tenant_id, row.order_id)
    unpaid = view.status == OrderStatus.PENDING_PAYMENT
    if row.action == Action.BLOCK and unpaid:
        if _order_event(uow, row, OrderEvent.CANCEL, HOLD_REASON, now):
            _move(uow, row, HoldStatus.CANCELLED, now)
        return
    if unpaid:
        _move(uow, row, HoldStatus.AWAITING_PAYMENT, now)
    elif view.status == OrderStatus.PAID and _order_event(
        uow, row, OrderEvent.HOLD, HOLD_REASON, now
    ):
        _move(uow, row, HoldStatus.HELD, now)


def _order_event(
    uow: UnitOfWork, row: Assessment, event: OrderEvent, reason: str, now: datetime
) -> bool:
    """Apply a lifecycle event as the risk system; False when the lifecycle refuses it (the
    order moved on meanwhile), which is recorded on the order's timeline, not raised."""
    system = Actor.system(row.tenant_id, "risk")
    command = OrderEventIn(event=event, source=_SOURCE, reason=reason)
    _result, error = orders.apply_event_in(uow, system, row.order_id, command)
    return error is None


def _move(uow: UnitOfWork, row: Assessment, to: HoldStatus, now: datetime) -> None:
    HOLD_MACHINE.transition(row, to=to, now=now)
    uow.session.merge(row)


def _decide(
    uow: UnitOfWork, actor: Actor, row: Assessment, to: HoldStatus, reason: str, now: datetime
) -> None:
    _move(uow, row, to, now)
    row.decided_by, row.decision_reason = actor.principal, reason
    uow.session.merge(row)
    details = {"decision": str(to), "level": row.level, "rules_hit": row.rules_hit}
    _on_timeline(
        uow, row.tenant_id, row.order_id, f"risk_{to}", details, now, actor=actor, reason=reason
    )


def _held(uow: UnitOfWork, tenant_id: str, order_id: str) -> Assessment:
    row = _lock(uow, tenant_id, order_id)
    if row is None:
        orders.refund_view(uow, tenant_id, order_id)  # another tenant's or no order: 404
        raise NotHeld("the order was never held for risk", current_status=str(HoldStatus.CLEAR))
    if row.status != HoldStatus.HELD:
        raise NotHeld(f"the order's risk hold is {row.status}", current_status=row.status)
    return row


def _lock(uow: UnitOfWork, tenant_id: str, order_id: str) -> Assessment | None:
    if len(order_id) > _MAX_ID:
        raise OrderNotFound("no such order", order_id=order_id[:64])
    stmt = select(Assessment).where(
        Assessment.tenant_id == tenant_id, Assessment.order_id == order_id
    )
    if uow.is_postgres:
        stmt = stmt.with_for_update()
    return uow.session.scalars(stmt).first()


def _summary(verdict: assessment.Verdict) -> dict[str, Any]:
    return {
        "level": verdict.level,
        "recommendation": verdict.recommendation,
        "rules_hit": verdict.rules_hit,
        "facts": verdict.facts,
    }


def _on_timeline(
    uow: UnitOfWork,
    tenant_id: str,
    order_id: str,
    event: str,
    details: dict[str, Any],
    now: datetime,
    *,
    actor: Actor | None = None,
    reason: str | None = None,
) -> None:
    """An entry on the order's timeline (its audit trail) that changes no status."""
    attempt = Attempt(
        aggregate_type="order",
        aggregate_id=order_id,
        event=event,
        outcome=Outcome.APPLIED,
        source=_SOURCE,
        reason=reason,
        occurred_at=now,
        details=details,
    )
    audit.record_attempt(uow.session, actor or Actor.system(tenant_id, "risk"), attempt, now=now)


def _columns(row: Assessment) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in Assessment.__table__.columns}
