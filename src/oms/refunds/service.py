"""Refund use cases: request, approve, reject, retry, receive returned goods.

Each public function is one command: one unit of work, one commit. A request locks the order
row (``orders.service.refund_view``: SELECT … FOR UPDATE on PostgreSQL; SQLite writers are
serialised by BEGIN IMMEDIATE), so the paid-amount check and the insert cannot interleave.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from oms.core.context import Actor
from oms.core.ids import new_id
from oms.core.repo import retry_on_race
from oms.core.uow import Database, UnitOfWork
from oms.inventory.schemas import MovementIn
from oms.inventory.service import apply_manual_movement
from oms.inventory.states import MovementKind
from oms.orders import service as orders
from oms.refunds import advice, routing, trust
from oms.refunds.errors import (
    IllegalRefundTransition,
    InvalidRefundLines,
    RefundNotFound,
    RequestIdReused,
)
from oms.refunds.execution import NotifiedRefund, apply_notification
from oms.refunds.funding import Funding, check_cap, funding_of, requested_amount
from oms.refunds.lifecycle import lock_refund, move, record, schedule_execution
from oms.refunds.models import Refund
from oms.refunds.queries import refund_out
from oms.refunds.schemas import DecisionIn, RefundIn, RefundOut, ReturnIn
from oms.refunds.states import RefundStatus

__all__ = [
    "RequestedRefund",
    "approve_refund",
    "confirm_from_notification",
    "receive_return",
    "reject_refund",
    "request_refund",
    "retry_refund",
]

_AUTO = "auto-refund"


@dataclass(frozen=True, slots=True)
class RequestedRefund:
    refund: RefundOut
    created: bool


def request_refund(db: Database, actor: Actor, data: RefundIn) -> RequestedRefund:
    """Record a refund request, routed to a review group, or auto-approved for a trusted buyer.

    Raises: ERR_ORDER_NOT_FOUND, ERR_REFUND_NOT_REFUNDABLE, ERR_REFUND_INVALID_LINES,
    ERR_REFUND_UNITS_EXCEED_REFUNDABLE,
    ERR_REFUND_EXCEEDS_PAID, ERR_REFUND_REQUEST_ID_REUSED.
    """
    # A concurrent request with the same request_id loses the insert; the retry finds it.
    return retry_on_race(lambda: _request_once(db, actor, data), attempts=2)


def _request_once(db: Database, actor: Actor, data: RefundIn) -> RequestedRefund:
    with db.uow() as uow:
        existing = _by_request_id(uow, actor.tenant_id, data)
        if existing is not None:
            return RequestedRefund(refund_out(existing), created=False)
        view = orders.refund_view(uow, actor.tenant_id, data.order_id)
        funding = funding_of(uow.session, actor.tenant_id, data.order_id, view)
        amount, lines = requested_amount(uow.session, actor.tenant_id, data, view, funding)
        check_cap(uow.session, actor.tenant_id, data.order_id, funding, amount)
        refund = _insert(uow, actor, data, view, funding, amount=amount, lines=lines)
        _auto_approve(uow, refund)
        out = refund_out(refund)
        uow.commit()
    return RequestedRefund(out, created=True)


def _by_request_id(uow: UnitOfWork, tenant_id: str, data: RefundIn) -> Refund | None:
    if data.request_id is None:
        return None
    stmt = select(Refund).where(Refund.tenant_id == tenant_id, Refund.request_id == data.request_id)
    found = uow.session.scalars(stmt).first()
    if found is not None and found.order_id != data.order_id:
        raise RequestIdReused("request_id names a refund of another order", refund_id=found.id)
    return found


def _insert(
    uow: UnitOfWork,
    actor: Actor,
    data: RefundIn,
    view: orders.RefundView,
    funding: Funding,
    *,
    amount: int,
    lines: list[dict[str, object]],
) -> Refund:
    chosen = routing.route(
        uow.session, actor.tenant_id, reason=str(data.reason), channel=view.channel, amount=amount
    )
    scope = "whole" if data.whole_order else "lines" if data.lines else "amount"
    refund = new_refund(
        uow,
        actor.tenant_id,
        data.order_id,
        view,
        funding,
        amount=amount,
        reason=str(data.reason),
        scope=scope,
        review_group=chosen.review_group,
    )
    refund.request_id, refund.lines, refund.template = data.request_id, lines, chosen.template
    refund.customer_note, refund.evidence = data.customer_note, list(data.evidence)
    uow.session.add(refund)
    uow.session.flush()
    record(uow, actor, refund, "refund_requested", from_status=None, reason=str(data.reason))
    advice.advise(uow, refund, membership=data.membership_level)
    return refund


def new_refund(
    uow: UnitOfWork,
    tenant_id: str,
    order_id: str,
    view: orders.RefundView,
    funding: Funding,
    *,
    amount: int,
    reason: str,
    scope: str,
    review_group: str,
) -> Refund:
    """A requested refund row, not yet added (an operation shared with orphaned payments)."""
    now = uow.clock.now()
    return Refund(
        tenant_id=tenant_id,
        id=new_id(),
        order_id=order_id,
        order_no=view.order_no,
        status=str(RefundStatus.REQUESTED),
        reason=reason,
        scope=scope,
        amount=amount,
        currency=view.currency,
        order_total=view.total,
        lines=[],
        evidence=[],
        channel=view.channel,
        buyer_id=view.buyer_id,
        gateway=funding.gateway,
        payment_id=funding.payment_id,
        trade_no=funding.trade_no,
        paid_amount=funding.paid,
        review_group=review_group,
        template={},
        returned=[],
        requested_at=now,
        updated_at=now,
    )


def _auto_approve(uow: UnitOfWork, refund: Refund) -> None:
    decision = trust.evaluate(
        uow.session,
        refund.tenant_id,
        buyer_id=refund.buyer_id,
        order_id=refund.order_id,
        now=uow.clock.now(),
    )
    refund.auto_decision = decision
    if not decision["eligible"]:
        uow.session.flush()
        return
    system = Actor.system(refund.tenant_id, _AUTO)
    refund.decided_by, refund.decision_note = system.principal, "免审直退 / trusted customer"
    move(uow, system, refund, RefundStatus.APPROVED, reason="auto-refund", details=decision)
    schedule_execution(uow, refund)


def approve_refund(db: Database, actor: Actor, refund_id: str, data: DecisionIn) -> RefundOut:
    """Approve a requested refund and queue its execution through the gateway.

    Raises: ERR_REFUND_NOT_FOUND, ERR_REFUND_NOT_IN_GROUP, ERR_REFUND_ILLEGAL_TRANSITION.
    """
    return _decide(db, actor, refund_id, data, RefundStatus.APPROVED)


def reject_refund(db: Database, actor: Actor, refund_id: str, data: DecisionIn) -> RefundOut:
    """Reject a requested refund.

    Raises: ERR_REFUND_NOT_FOUND, ERR_REFUND_NOT_IN_GROUP, ERR_REFUND_ILLEGAL_TRANSITION.
    """
    return _decide(db, actor, refund_id, data, RefundStatus.REJECTED)


def _decide(
    db: Database, actor: Actor, refund_id: str, data: DecisionIn, to: RefundStatus
) -> RefundOut:
    with db.uow() as uow:
        refund = lock_refund(uow, actor.tenant_id, refund_id)
        routing.check_reviewer(uow.session, actor, refund.review_group)
        template_note = refund.template.get("note")
        note = data.note or (str(template_note) if template_note is not None else None)
        refund.decided_by, refund.decision_note = actor.principal, note
        move(uow, actor, refund, to, reason=note)
        if to == RefundStatus.APPROVED:
            schedule_execution(uow, refund)
        out = refund_out(refund)
        uow.commit()
    return out


def retry_refund(db: Database, actor: Actor, refund_id: str) -> RefundOut:
    """Send a failed refund to the gateway again, with the same out_request_no.

    Raises: ERR_REFUND_NOT_FOUND, ERR_REFUND_ILLEGAL_TRANSITION.
    """
    with db.uow() as uow:
        refund = lock_refund(uow, actor.tenant_id, refund_id)
        move(
            uow,
            actor,
            refund,
            RefundStatus.REFUNDING,
            reason="retry",
            details={"previous_error": refund.last_error},
        )
        refund.last_error = None
        schedule_execution(uow, refund)
        out = refund_out(refund)
        uow.commit()
    return out


def confirm_from_notification(
    db: Database,
    tenant_id: str,
    *,
    refund_id: str,
    succeeded: bool,
    status: str,
    gateway_ref: str | None,
    amount: int | None,
    cumulative: bool,
    source: str,
    inbox_id: str,
) -> str:
    """Settle a refund from a verified gateway refund notification; return the outcome.

    ``refunding`` → ``refunded`` (voucher, feedback, order closed when fully refunded) or
    ``failed``, exactly once: a repeated or late notification is recorded as a duplicate, an
    amount that disagrees changes nothing and opens a ticket. A refund number that is no refund
    of the tenant answers ``refund_not_found`` (ERR_REFUND_NOT_FOUND is logged, not raised).
    """
    notified = NotifiedRefund(
        refund_id[:36], succeeded, status, gateway_ref, amount, cumulative, source, inbox_id
    )
    try:
        with db.uow() as uow:
            outcome = apply_notification(uow, tenant_id, notified)
            uow.commit()
    except RefundNotFound:
        return "refund_not_found"
    return outcome


def receive_return(db: Database, actor: Actor, refund_id: str, data: ReturnIn) -> RefundOut:
    """Book returned goods into stock (``return`` movements) against the refund.

    Raises: ERR_REFUND_NOT_FOUND, ERR_REFUND_ILLEGAL_TRANSITION (rejected refund),
    ERR_REFUND_INVALID_LINES, ERR_STOCK_UNKNOWN_WAREHOUSE.
    """
    with db.uow() as uow:
        refund = lock_refund(uow, actor.tenant_id, refund_id)
        if refund.status == RefundStatus.REJECTED:
            raise IllegalRefundTransition("a rejected refund takes no returned goods")
        view = orders.refund_view(uow, actor.tenant_id, refund.order_id)
        _check_returnable(refund, view, data)
        booked = [
            _book(uow, actor, refund, line.sku, line.qty, line.warehouse) for line in data.lines
        ]
        refund.returned = [*refund.returned, *booked]
        refund.updated_at = uow.clock.now()
        uow.session.flush()
        record(
            uow,
            actor,
            refund,
            "return_received",
            from_status=refund.status,
            details={"lines": booked},
        )
        out = refund_out(refund)
        uow.commit()
    return out


def _check_returnable(refund: Refund, view: orders.RefundView, data: ReturnIn) -> None:
    ordered: dict[str, int] = {}
    for sku, qty, _ in view.lines:
        ordered[sku] = ordered.get(sku, 0) + qty
    back: dict[str, int] = {}
    for entry in [*refund.returned, *({"sku": x.sku, "qty": x.qty} for x in data.lines)]:
        back[str(entry["sku"])] = back.get(str(entry["sku"]), 0) + int(entry["qty"])
    over = [sku for sku, qty in back.items() if qty > ordered.get(sku, 0)]
    if over:
        raise InvalidRefundLines("more units back than the order had", skus=sorted(over))


def _book(
    uow: UnitOfWork, actor: Actor, refund: Refund, sku: str, qty: int, warehouse: str | None
) -> dict[str, object]:
    movement = MovementIn(
        sku=sku,
        warehouse=warehouse,
        kind=MovementKind.RETURN,
        qty=qty,
        reason=f"refund {refund.id} / order {refund.order_no}",
    )
    ledger_id = apply_manual_movement(uow, actor, movement, reference=refund.id)
    return {"sku": sku, "qty": qty, "warehouse": warehouse, "ledger_id": ledger_id}
