"""Executing an approved refund: the gateway call runs between two short units of work.

The first moves the refund to ``refunding`` and commits; the call goes out with no
transaction open; the second applies the answer under the refund's lock, so a duplicated job
or a repeated answer changes nothing. A refund that returns the whole paid amount closes the
order (event ``close``, source ``refund:<id>``).
"""

from __future__ import annotations

import structlog

from oms.core.context import Actor
from oms.core.errors import AppError
from oms.core.uow import Database, UnitOfWork
from oms.orders import service as orders
from oms.orders.schemas import OrderEventIn
from oms.orders.states import OrderEvent, OrderStatus, can_apply
from oms.payments.config import load_credentials
from oms.refunds.completion import record_completion
from oms.refunds.errors import GatewayRefundFailed
from oms.refunds.gateway import DONE, FAILED, PENDING, Answer, RefundCall, send_refund
from oms.refunds.lifecycle import lock_refund, move
from oms.refunds.models import Refund
from oms.refunds.queries import refunded_amount
from oms.refunds.states import RefundStatus

__all__ = ["GATEWAY_TIMEOUT_SECONDS", "execute_refund"]

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
) -> Answer:
    if gateway is None:
        # Paid on the channel (no gateway payment in oms): the channel sends the money back.
        return Answer(DONE, {"mode": "channel"})
    try:
        creds = load_credentials(db, tenant_id, gateway)
    except AppError as error:
        return Answer(PENDING, error=f"{error.code}: {error.message}")
    answer = send_refund(creds, call, now=db.clock.now(), timeout=timeout)
    log.info("refunds.gateway_answer", refund_id=call.refund_id, kind=answer.kind)
    return answer


def _finish(db: Database, tenant_id: str, refund_id: str, answer: Answer) -> str:
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
