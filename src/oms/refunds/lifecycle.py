"""Status moves with their paper trail: every move is audited on the refund and the order.

An operation: it runs in the caller's unit of work and never commits.
"""

from __future__ import annotations

from typing import Any

from oms.core import audit, outbox
from oms.core.audit import Attempt, Outcome
from oms.core.context import Actor
from oms.core.repo import get_for_update
from oms.core.uow import UnitOfWork
from oms.refunds import events, states
from oms.refunds.errors import RefundNotFound
from oms.refunds.models import Refund
from oms.refunds.states import RefundStatus

__all__ = ["lock_refund", "move", "record", "schedule_execution"]


def lock_refund(uow: UnitOfWork, tenant_id: str, refund_id: str) -> Refund:
    """The refund, row-locked on PostgreSQL. Raises: ERR_REFUND_NOT_FOUND."""
    missing = RefundNotFound("no such refund", refund_id=refund_id)
    return get_for_update(uow, Refund, tenant_id, refund_id, missing=missing)


def move(
    uow: UnitOfWork,
    actor: Actor,
    refund: Refund,
    to: RefundStatus,
    *,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Change the status (``states.transition``), check the version, audit it twice.

    Raises: ERR_REFUND_ILLEGAL_TRANSITION.
    """
    from_status = states.transition(refund, to, now=uow.clock.now())
    uow.session.flush()  # the version check happens here, before the audit entries
    record(
        uow,
        actor,
        refund,
        states.event_name(to),
        from_status=from_status,
        reason=reason,
        details=details,
    )


def record(
    uow: UnitOfWork,
    actor: Actor,
    refund: Refund,
    event: str,
    *,
    from_status: str | None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append ``event`` to the refund's audit trail and to its order's timeline."""
    now = uow.clock.now()
    facts = {"refund_id": refund.id, "amount": refund.amount, "currency": refund.currency}
    facts |= details or {}
    source = f"refund:{refund.id}"
    on_refund = Attempt(
        "refund",
        refund.id,
        event,
        Outcome.APPLIED,
        from_status=from_status,
        to_status=refund.status,
        version_after=refund.version,
        source=source,
        reason=reason,
        occurred_at=now,
        details=facts,
    )
    audit.record_attempt(uow.session, actor, on_refund, now=now)
    # On the order's timeline the refund's own statuses go in details: the order's do not move.
    on_order = Attempt(
        "order",
        refund.order_id,
        event,
        Outcome.APPLIED,
        source=source,
        reason=reason,
        occurred_at=now,
        details=facts | {"refund_from": from_status, "refund_to": refund.status},
    )
    audit.record_attempt(uow.session, actor, on_order, now=now)


def schedule_execution(uow: UnitOfWork, refund: Refund) -> None:
    """Queue the gateway call; the job runs after this unit of work commits."""
    due = events.RefundExecutionDue(
        tenant_id=refund.tenant_id, refund_id=refund.id, order_id=refund.order_id
    )
    outbox.add(uow, due)
