"""Executing an approved refund: the gateway call runs between two short units of work.

The first moves the refund to ``refunding`` and commits; the call goes out with no
transaction open; the second applies the answer under the refund's lock, so a duplicated job
or a repeated answer changes nothing. A refund that returns the whole paid amount closes the
order (event ``close``, source ``refund:<id>``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog

from oms.core import audit
from oms.core.audit import Attempt, Outcome
from oms.core.context import Actor
from oms.core.uow import Database, UnitOfWork
from oms.orders import service as orders
from oms.orders.schemas import OrderEventIn
from oms.orders.states import OrderEvent, OrderStatus, can_apply
from oms.payments.refunding import (
    DONE,
    FAILED,
    PENDING,
    RefundAnswer,
    RefundCall,
    refund_at_gateway,
)
from oms.refunds.completion import record_completion
from oms.refunds.errors import GatewayRefundFailed
from oms.refunds.lifecycle import lock_refund, move
from oms.refunds.models import Refund
from oms.refunds.queries import refunded_amount
from oms.refunds.states import RefundStatus
from oms.tickets.service import open_ticket
from oms.tickets.states import TicketKind

__all__ = ["GATEWAY_TIMEOUT_SECONDS", "NotifiedRefund", "apply_notification", "execute_refund"]

log = structlog.get_logger(__name__)
GATEWAY_TIMEOUT_SECONDS = 10.0
_JOB = "refunds"


def execute_refund(
    db: Database,
    *,
    tenant_id: str,
    refund_id: str,
    is_last_attempt: bool,
    timeout: float = GATEWAY_TIMEOUT_SECONDS,
) -> str:
    """Send an approved refund to its gateway and record the answer; return the status.

    Raises (so the job retries): ERR_REFUND_GATEWAY_FAILED while the answer is not final —
    except on the last attempt, which marks the refund failed (retry with POST /retry).
    """
    call = _start(db, tenant_id, refund_id)
    if isinstance(call, str):
        return call
    gateway, request = call
    answer = _ask(db, tenant_id, gateway, request, timeout=timeout)
    if answer.kind == PENDING and not is_last_attempt:
        raise GatewayRefundFailed(answer.error or "not final yet", refund_id=refund_id)
    return _finish(db, tenant_id, refund_id, answer)


def _start(db: Database, tenant_id: str, refund_id: str) -> tuple[str | None, RefundCall] | str:
    with db.uow() as uow:
        refund = lock_refund(uow, tenant_id, refund_id)
        if refund.status not in (RefundStatus.APPROVED, RefundStatus.REFUNDING):
            return refund.status  # done, failed or rejected meanwhile: nothing to send
        if refund.status == RefundStatus.APPROVED:
            move(uow, Actor.system(tenant_id, _JOB), refund, RefundStatus.REFUNDING)
        call = RefundCall(
            refund.id, refund.order_no, refund.amount, refund.paid_amount, refund.reason
        )
        gateway = refund.gateway
        uow.commit()
    return gateway, call


def _ask(
    db: Database, tenant_id: str, gateway: str | None, call: RefundCall, *, timeout: float
) -> RefundAnswer:
    if gateway is None:
        # Paid on the channel (no gateway payment in oms): the channel sends the money back.
        return RefundAnswer(DONE, {"mode": "channel"})
    answer = refund_at_gateway(db, tenant_id, gateway, call, timeout=timeout)
    log.info("refunds.gateway_answer", refund_id=call.refund_id, kind=answer.kind)
    return answer


def _finish(db: Database, tenant_id: str, refund_id: str, answer: RefundAnswer) -> str:
    with db.uow() as uow:
        refund = lock_refund(uow, tenant_id, refund_id)
        if refund.status != RefundStatus.REFUNDING:
            return refund.status  # another run of this job recorded an answer first
        refund.gateway_result = answer.facts
        system = Actor.system(tenant_id, _JOB)
        if answer.kind == DONE:
            move(uow, system, refund, RefundStatus.REFUNDED, details={"gateway": refund.gateway})
            record_completion(uow, refund)  # voucher + feedback, in this same transaction
            _close_if_fully_refunded(uow, system, refund)
        else:
            assert answer.kind in (FAILED, PENDING)
            refund.last_error = answer.error
            move(uow, system, refund, RefundStatus.FAILED, reason=answer.error)
        status = refund.status
        uow.commit()
    return status


@dataclass(frozen=True, slots=True)
class NotifiedRefund:
    """What a verified gateway refund notification says about one of our refunds."""

    refund_id: str
    succeeded: bool
    status: str
    gateway_ref: str | None
    amount: int | None
    cumulative: bool  # Alipay's refund_fee: the trade's refunded total, not this refund's
    source: str
    inbox_id: str


def apply_notification(uow: UnitOfWork, tenant_id: str, notified: NotifiedRefund) -> str:
    """Settle a ``refunding`` refund from a gateway notification, once; return the outcome.

    Outcomes: ``refund_refunded`` / ``refund_failed`` (applied), ``duplicate`` (already
    settled the same way), ``refund_mismatch`` (amount differs: no change, a ticket),
    ``refund_conflict`` (not refunding: no change, a ticket when money moved). An operation
    under the refund's lock. Raises: ERR_REFUND_NOT_FOUND.
    """
    refund = lock_refund(uow, tenant_id, notified.refund_id)
    system = Actor.system(tenant_id, _JOB)
    facts: dict[str, Any] = {
        "gateway": refund.gateway,
        "gateway_ref": notified.gateway_ref,
        "gateway_status": notified.status,
        "notified_amount": notified.amount,
        "inbox_id": notified.inbox_id,
    }
    settled = RefundStatus.REFUNDED if notified.succeeded else RefundStatus.FAILED
    if refund.status == settled:
        _note(uow, system, refund, notified, Outcome.DUPLICATE, "already settled", facts)
        return "duplicate"
    if refund.status != RefundStatus.REFUNDING:
        problem = f"a {refund.status} refund was notified {notified.status}"
        _note(uow, system, refund, notified, Outcome.REJECTED, problem, facts)
        if notified.succeeded:
            _ticket(uow, refund, problem, facts)
        return "refund_conflict"
    if notified.succeeded and not _amount_agrees(refund, notified):
        problem = f"the gateway notified {notified.amount} for a refund of {refund.amount}"
        _note(uow, system, refund, notified, Outcome.REJECTED, problem, facts)
        _ticket(uow, refund, problem, facts)
        return "refund_mismatch"
    refund.gateway_result = {**(refund.gateway_result or {}), "notification": facts}
    if notified.succeeded:
        move(uow, system, refund, RefundStatus.REFUNDED, details=facts)
        record_completion(uow, refund)
        _close_if_fully_refunded(uow, system, refund)
        return "refund_refunded"
    refund.last_error = f"{refund.gateway} notified refund {notified.status}"
    move(uow, system, refund, RefundStatus.FAILED, reason=refund.last_error, details=facts)
    return "refund_failed"


def _amount_agrees(refund: Refund, notified: NotifiedRefund) -> bool:
    if notified.amount is None:
        return False
    if notified.cumulative:
        return notified.amount >= refund.amount
    return notified.amount == refund.amount


def _note(
    uow: UnitOfWork,
    actor: Actor,
    refund: Refund,
    notified: NotifiedRefund,
    outcome: str,
    reason: str,
    facts: dict[str, Any],
) -> None:
    """A notification that changed nothing, on the refund's trail and the order's timeline."""
    now = uow.clock.now()
    details = {"refund_id": refund.id, **facts}
    for kind, aggregate in (("refund", refund.id), ("order", refund.order_id)):
        attempt = Attempt(
            kind,
            aggregate,
            "refund_notified",
            outcome,
            from_status=refund.status,
            to_status=refund.status,
            source=notified.source,
            reason=reason,
            occurred_at=now,
            details=details,
        )
        audit.record_attempt(uow.session, actor, attempt, now=now)


def _ticket(uow: UnitOfWork, refund: Refund, problem: str, facts: dict[str, Any]) -> None:
    open_ticket(
        uow,
        tenant_id=refund.tenant_id,
        kind=TicketKind.REFUND_MISMATCH,
        order_id=refund.order_id,
        assignee_role="ops",
        title_code="refund_mismatch",
        title_params={"order_no": refund.order_no},
        details={"refund_id": refund.id, "amount": refund.amount, "problem": problem, **facts},
        now=uow.clock.now(),
    )


def _close_if_fully_refunded(uow: UnitOfWork, actor: Actor, refund: Refund) -> None:
    if refund.orphan_payment_id is not None:
        return  # the order was never paid by this money
    done = refunded_amount(uow.session, refund.tenant_id, refund.order_id, refund.payment_id)
    if done < refund.paid_amount:
        return
    view = orders.refund_view(uow, refund.tenant_id, refund.order_id)
    if not can_apply(OrderEvent.CLOSE, OrderStatus(view.status)):
        return
    command = OrderEventIn(
        event=OrderEvent.CLOSE, source=f"refund:{refund.id}", reason="全额退款 / fully refunded"
    )
    orders.apply_event_in(uow, actor, refund.order_id, command)
