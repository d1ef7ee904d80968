"""Auto-refund for trusted customers (免审直退): per-tenant settings and the decision.

A buyer (orders.buyer_id) qualifies when the feature is on and: their first order is at
least ``min_history_days`` old; their return rate is strictly under ``max_return_rate_bp``;
and, if required, they have no dispute. All over a window of the last ``min_history_days``
(at least 180 days, "6 months"). Return rate = paid orders of the buyer placed in the window
(this one excluded) with a completed refund / all those paid orders; none → 0. A dispute is
a refund of theirs that a reviewer rejected, requested in the window. The decision and these
figures are recorded on the refund either way.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oms.core.uow import Database
from oms.orders.queries import buyer_orders
from oms.refunds.models import Refund, RefundSettings
from oms.refunds.schemas import SettingsIn, SettingsOut
from oms.refunds.states import RefundStatus

__all__ = ["buyer_figures", "evaluate", "get_settings", "put_settings"]

_MIN_WINDOW_DAYS = 180


def put_settings(db: Database, tenant_id: str, data: SettingsIn) -> SettingsOut:
    """Set the tenant's auto-refund settings."""
    with db.uow() as uow:
        row = uow.session.get(RefundSettings, tenant_id)
        if row is None:
            row = RefundSettings(tenant_id=tenant_id)
            uow.session.add(row)
        for key, value in data.model_dump().items():
            setattr(row, key, value)
        row.updated_at = uow.clock.now()
        out = SettingsOut(**data.model_dump(), updated_at=row.updated_at)
        uow.commit()
    return out


def get_settings(db: Database, tenant_id: str) -> SettingsOut:
    """The tenant's auto-refund settings (defaults: off, 180 days, 2 %, no disputes)."""
    with db.reader() as session:
        return _settings(session, tenant_id)


def evaluate(
    session: Session, tenant_id: str, *, buyer_id: str | None, order_id: str, now: datetime
) -> dict[str, Any]:
    """Decide whether this buyer's refund skips review; return the decision and its figures."""
    settings = _settings(session, tenant_id)
    if not settings.auto_refund_enabled or buyer_id is None:
        off = "auto-refund is off" if not settings.auto_refund_enabled else "no buyer id"
        return {"eligible": False, "why": off}
    figures = _figures(session, tenant_id, buyer_id, order_id, now, settings)
    refusal = _refusal(figures, settings)
    return {
        "eligible": refusal is None,
        "why": refusal or "trusted customer",
        **figures,
        "thresholds": settings.model_dump(exclude={"updated_at"}),
    }


def _figures(
    session: Session,
    tenant_id: str,
    buyer_id: str,
    order_id: str,
    now: datetime,
    settings: SettingsOut,
) -> dict[str, Any]:
    window_days = max(settings.min_history_days, _MIN_WINDOW_DAYS)
    return buyer_figures(
        session, tenant_id, buyer_id, order_id=order_id, now=now, window_days=window_days
    )


def buyer_figures(
    session: Session,
    tenant_id: str,
    buyer_id: str,
    *,
    order_id: str,
    now: datetime,
    window_days: int,
) -> dict[str, Any]:
    """A buyer's history over the last ``window_days``: orders, refunded ones, rate, disputes.

    An operation in the caller's session (auto-refund and refund advice read the same figures).
    """
    orders = buyer_orders(session, tenant_id, buyer_id)
    history_days = (now - orders[0].placed_at).days if orders else 0
    since = now - timedelta(days=window_days)
    window = {o.id for o in orders if o.paid_at is not None and o.placed_at >= since}
    window.discard(order_id)
    refunded = _count_orders(session, tenant_id, buyer_id, RefundStatus.REFUNDED, window)
    disputes = _count_orders(session, tenant_id, buyer_id, RefundStatus.REJECTED, None, since)
    rate_bp = (refunded * 10_000 / len(window)) if window else 0.0
    return {
        "history_days": history_days,
        "orders": len(window),
        "refunded_orders": refunded,
        "return_rate_bp": round(rate_bp, 2),
        "disputes": disputes,
        "window_days": window_days,
    }


def _refusal(figures: dict[str, Any], settings: SettingsOut) -> str | None:
    if figures["history_days"] < settings.min_history_days:
        return "history shorter than required"
    if figures["return_rate_bp"] >= settings.max_return_rate_bp:
        return "return rate not under the maximum"
    if settings.require_no_disputes and figures["disputes"] > 0:
        return "has disputes"
    return None


def _count_orders(
    session: Session,
    tenant_id: str,
    buyer_id: str,
    status: RefundStatus,
    order_ids: set[str] | None,
    since: datetime | None = None,
) -> int:
    stmt = select(func.count(func.distinct(Refund.order_id))).where(
        Refund.tenant_id == tenant_id, Refund.buyer_id == buyer_id, Refund.status == str(status)
    )
    if order_ids is not None:
        if not order_ids:
            return 0
        stmt = stmt.where(Refund.order_id.in_(sorted(order_ids)))
    if since is not None:
        stmt = stmt.where(Refund.requested_at >= since)
    return int(session.scalar(stmt) or 0)


def _settings(session: Session, tenant_id: str) -> SettingsOut:
    row = session.get(RefundSettings, tenant_id)
    if row is None:
        return SettingsOut()
    return SettingsOut.model_validate(row, from_attributes=True)
