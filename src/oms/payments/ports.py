"""What payments hands to the domains above it, without importing them.

Gateways send refund notifications to the payments notify endpoint, but refunds are a domain
above payments (refunds call payments, never the other way round). So refunds plugs its
handler in here when it is wired (``refunds.jobs.register``, which ``jobs_wiring.build_registry``
calls for the API and the worker alike), and payments calls whatever is plugged in.
"""

from __future__ import annotations

from typing import Protocol

from oms.core.uow import Database
from oms.payments.gateways.base import RefundNotified

__all__ = ["RefundNotifiedHandler", "handle_refund_notifications", "refund_notified"]


class RefundNotifiedHandler(Protocol):
    def __call__(
        self,
        db: Database,
        tenant_id: str,
        notified: RefundNotified,
        *,
        source: str,
        inbox_id: str,
    ) -> str:
        """Settle the refund a verified notification is about; return the inbox outcome."""
        ...


_handlers: dict[str, RefundNotifiedHandler] = {}


def handle_refund_notifications(handler: RefundNotifiedHandler) -> None:
    """Plug in the handler of verified refund notifications (the refunds domain's)."""
    _handlers["refund"] = handler


def refund_notified(
    db: Database, tenant_id: str, notified: RefundNotified, *, source: str, inbox_id: str
) -> str:
    """Hand a verified refund notification to refunds.

    Raises RuntimeError in a process that never wired refunds (a bug, not bad input: the
    notification is stored, not marked taken, and the gateway delivers it again).
    """
    handler = _handlers.get("refund")
    if handler is None:
        raise RuntimeError("no refund notification handler: call refunds.jobs.register first")
    return handler(db, tenant_id, notified, source=source, inbox_id=inbox_id)
