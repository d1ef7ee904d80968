"""Double confirmation: the gateway's own query must agree before a payment pays an order.

The query is a network call, so it runs first, outside any transaction; one unit of work then
applies the verdict. Agreement (paid, same trade, same amount, amount = order total) applies
the order's ``pay`` event and confirms the payment in the same commit. An order that can no
longer be paid orphans the payment (a ticket and a ``payment.orphaned`` message send the money
back). Disagreement opens a ticket. "Not final yet" and unreadable answers raise, so the job
runner retries with backoff, until the last attempt, which opens a ticket instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import structlog

from oms.core import audit, outbox
from oms.core.audit import Attempt, Outcome
from oms.core.context import Actor
from oms.core.errors import AppError
from oms.core.repo import get_for_update
from oms.core.uow import Database, UnitOfWork
from oms.orders import service as orders
from oms.orders.queries import get_order
from oms.orders.schemas import OrderEventIn, OrderOut
from oms.orders.states import OrderEvent
from oms.payments import events, states
from oms.payments.config import load_credentials
from oms.payments.errors import PaymentNotFinal
from oms.payments.gateways.base import Queried
from oms.payments.gateways.registry import gateway_for
from oms.payments.intake import source_of
from oms.payments.models import Payment
from oms.payments.states import PaymentStatus
from oms.tickets.service import open_ticket
from oms.tickets.states import TicketKind

__all__ = ["QUERY_TIMEOUT_SECONDS", "Verdict", "confirm_payment", "judge"]

log = structlog.get_logger(__name__)
QUERY_TIMEOUT_SECONDS = 10.0
AGREE, DISAGREE, RETRY = "agree", "disagree", "retry"


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the gateway's answer means for a received payment."""

    kind: str
    problem: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    error: AppError | None = None


def confirm_payment(
    db: Database,
    *,
    tenant_id: str,
    payment_id: str,
    is_last_attempt: bool,
    timeout: float = QUERY_TIMEOUT_SECONDS,
) -> str:
    """Settle a received payment by asking its gateway; return the payment's status.

    Raises (so the job retries): ERR_PAYMENT_NOT_FINAL, ERR_PAYMENT_QUERY_FAILED — except on
    the last attempt, which marks the payment mismatched with a ticket instead.
    """
    with db.reader() as session:
        payment = session.get(Payment, (tenant_id, payment_id))
    if payment is None or payment.status != PaymentStatus.RECEIVED:
        return payment.status if payment is not None else "missing"
    order = get_order(db, tenant_id, payment.order_id)
    verdict = _ask_gateway(db, payment, order, timeout=timeout)
    if verdict.kind == RETRY and not is_last_attempt:
        assert verdict.error is not None
        raise verdict.error
    return _settle(db, tenant_id, payment_id, verdict)


def judge(payment: Payment, queried: Queried, *, order: OrderOut) -> Verdict:
    """Compare the notification, the gateway's query answer and the order (pure)."""
    facts = {
        "notified_state": payment.notified_state,
        "notified_amount": payment.amount,
        "query_state": queried.state,
        "query_amount": queried.amount,
        "query_trade_no": queried.trade_no,
        "order_total": order.totals.total,
        "order_currency": order.currency,
    }
    problem = _disagreement(payment, queried, order)
    if not queried.is_final:
        error = PaymentNotFinal(f"the gateway says {queried.state}", state=queried.state)
        return Verdict(RETRY, f"still {queried.state} at the gateway", facts, error)
    if problem is not None:
        return Verdict(DISAGREE, problem, facts)
    return Verdict(AGREE, None, facts)


def _disagreement(payment: Payment, queried: Queried, order: OrderOut) -> str | None:
    if not queried.is_paid:
        return f"notified {payment.notified_state}, but the gateway says {queried.state}"
    if queried.trade_no is not None and queried.trade_no != payment.trade_no:
        return f"notified trade {payment.trade_no}, but the gateway says {queried.trade_no}"
    if queried.amount != payment.amount or (queried.currency or "CNY") != payment.currency:
        return f"notified {payment.amount} {payment.currency}, the gateway says {queried.amount}"
    if payment.amount != order.totals.total or payment.currency != order.currency:
        return f"paid {payment.amount} {payment.currency}, the order is {order.totals.total}"
    return None


def _ask_gateway(db: Database, payment: Payment, order: OrderOut, *, timeout: float) -> Verdict:
    try:
        creds = load_credentials(db, payment.tenant_id, payment.gateway)
        queried = gateway_for(payment.gateway).query_trade(
            creds, payment.order_no, now=db.clock.now(), timeout=timeout
        )
    except AppError as error:
        log.warning("payments.query_failed", payment_id=payment.id, code=error.code)
        return Verdict(RETRY, f"{error.code}: {error.message}", {"error": error.code}, error)
    return judge(payment, queried, order=order)


def _settle(db: Database, tenant_id: str, payment_id: str, verdict: Verdict) -> str:
    with db.uow() as uow:
        payment = _lock_payment(uow, tenant_id, payment_id)
        if payment.status != PaymentStatus.RECEIVED:
            return payment.status  # settled by another run of this job meanwhile
        payment.query_result = verdict.facts
        if verdict.kind == AGREE:
            _pay_order(uow, payment)
        else:
            _mismatch(uow, payment, verdict.problem or "the gateway does not confirm")
        status = payment.status
        uow.commit()
    log.info("payments.settled", payment_id=payment_id, status=status)
    return status


def _pay_order(uow: UnitOfWork, payment: Payment) -> None:
    command = OrderEventIn(
        event=OrderEvent.PAY,
        source=source_of(payment.gateway),
        occurred_at=payment.gateway_paid_at,
        reason=f"{payment.gateway} trade {payment.trade_no}, confirmed by the gateway's query",
    )
    actor = Actor.system(payment.tenant_id, "payments")
    result, error = orders.apply_event_in(uow, actor, payment.order_id, command)
    if result.outcome == Outcome.APPLIED:
        _move(uow, payment, PaymentStatus.CONFIRMED, None)
        outbox.add(uow, _confirmed(payment))
        return
    # Cancelled, closed, or already paid by other money: this payment must go back.
    reason = error.code if error is not None else result.outcome
    _orphan(uow, payment, order_status=str(result.order.status), reason=reason)


def _confirmed(payment: Payment) -> events.PaymentConfirmed:
    return events.PaymentConfirmed(
        tenant_id=payment.tenant_id,
        payment_id=payment.id,
        order_id=payment.order_id,
        order_no=payment.order_no,
        gateway=payment.gateway,
        trade_no=payment.trade_no,
        amount=payment.amount,
        currency=payment.currency,
        paid_at=payment.gateway_paid_at,
    )


def _orphan(uow: UnitOfWork, payment: Payment, *, order_status: str, reason: str) -> None:
    now = uow.clock.now()
    problem = f"the order is {order_status} ({reason}); the money must go back"
    payment.ticket_id = _ticket(uow, payment, TicketKind.PAYMENT_ORPHANED, problem)
    _move(uow, payment, PaymentStatus.ORPHANED, problem)
    orphaned = events.PaymentOrphaned(
        tenant_id=payment.tenant_id,
        payment_id=payment.id,
        order_id=payment.order_id,
        order_no=payment.order_no,
        gateway=payment.gateway,
        trade_no=payment.trade_no,
        amount=payment.amount,
        currency=payment.currency,
        order_status=order_status,
    )
    outbox.add(uow, orphaned, now=now)


def _mismatch(uow: UnitOfWork, payment: Payment, problem: str) -> None:
    payment.ticket_id = _ticket(uow, payment, TicketKind.PAYMENT_MISMATCH, problem)
    _move(uow, payment, PaymentStatus.MISMATCHED, problem)


def _ticket(uow: UnitOfWork, payment: Payment, kind: TicketKind, problem: str) -> str:
    return open_ticket(
        uow,
        tenant_id=payment.tenant_id,
        kind=kind,
        order_id=payment.order_id,
        assignee_role="ops",
        # The kinds (payment_orphaned, payment_mismatch) are title codes of their own.
        title_code=kind.value,
        title_params={"order_no": payment.order_no},
        details={
            "payment_id": payment.id,
            "gateway": payment.gateway,
            "trade_no": payment.trade_no,
            "amount": payment.amount,
            "currency": payment.currency,
            "problem": problem,
            "facts": payment.query_result or {},
        },
        now=uow.clock.now(),
    )


def _move(uow: UnitOfWork, payment: Payment, to: PaymentStatus, problem: str | None) -> None:
    now = uow.clock.now()
    from_status = states.transition(payment, to, problem=problem, now=now)
    uow.session.flush()  # the version check happens here, before the audit entry
    attempt = Attempt(
        aggregate_type="payment",
        aggregate_id=payment.id,
        event="confirm" if to == PaymentStatus.CONFIRMED else f"settle_{to.value}",
        outcome=Outcome.APPLIED,
        from_status=from_status,
        to_status=payment.status,
        version_after=payment.version,
        source=source_of(payment.gateway),
        reason=problem,
        details=payment.query_result or {},
    )
    audit.record_attempt(uow.session, Actor.system(payment.tenant_id, "payments"), attempt, now=now)


def _lock_payment(uow: UnitOfWork, tenant_id: str, payment_id: str) -> Payment:
    return get_for_update(uow, Payment, tenant_id, payment_id)
