"""The ``alert.raised`` job: record the alert once, rate-limit it, queue one send per route.

Database only, one transaction. The alert's id is the message id, so a re-run changes
nothing. The rate limit is a fixed window per tenant and alert type, kept in a row that is
locked while it is counted, so it holds across any number of workers: at most
``OMS_ALERT_RATE_LIMIT`` alerts per ``OMS_ALERT_RATE_WINDOW_SECONDS`` go out; the rest are
recorded as suppressed and counted, and the first alert of the next window says how many.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any

from sqlalchemy import select

from oms.alerts.events import AlertRaised, AlertSendDue
from oms.alerts.models import AlertNotification, AlertRecord, AlertRoute, AlertThrottle
from oms.alerts.states import AlertStatus, NotificationStatus
from oms.config import Settings
from oms.core import outbox
from oms.core.ids import new_id
from oms.core.jobs import JobRun
from oms.core.repo import insert_ignore
from oms.core.uow import Database, UnitOfWork

__all__ = ["route_alert"]


@dataclass(frozen=True, slots=True)
class _Raised:
    tenant_id: str
    id: str  # the alert's id: the id of the message that raised it
    alert: AlertRaised


def route_alert(db: Database, alert: AlertRaised, run: JobRun, *, settings: Settings) -> None:
    """Record the alert once (its id is the message's), rate-limit it, queue its sends."""
    alert_type = (alert.type or "unknown")[:100]
    raised = _Raised(alert.tenant_id, run.id, alert)
    with db.uow() as uow:
        if uow.session.get(AlertRecord, (alert.tenant_id, run.id)) is not None:
            return
        now = uow.clock.now()
        routes = _matching_routes(uow, alert.tenant_id, alert_type, alert.details.get("route_id"))
        status, reported = AlertStatus.UNROUTED, 0
        if routes:
            is_allowed, reported = _take_slot(uow, alert.tenant_id, alert_type, now, settings)
            status = AlertStatus.ROUTED if is_allowed else AlertStatus.SUPPRESSED
        _record(uow, raised, alert_type, status=status, reported=reported, now=now)
        if status == AlertStatus.ROUTED:
            for route in routes:
                _queue_send(uow, raised, route, now=now)
        uow.commit()


def _matching_routes(
    uow: UnitOfWork, tenant_id: str, alert_type: str, route_id: object = None
) -> list[AlertRoute]:
    routes = uow.session.scalars(
        select(AlertRoute).where(AlertRoute.tenant_id == tenant_id).order_by(AlertRoute.id)
    )
    if route_id:  # an alert whose rule names its route (low stock) goes there, whatever its type
        return [route for route in routes if route.id == route_id]
    return [route for route in routes if fnmatchcase(alert_type, route.alert_type)]


def _take_slot(
    uow: UnitOfWork, tenant_id: str, alert_type: str, now: datetime, settings: Settings
) -> tuple[bool, int]:
    """Count the alert in its window: (may it go out, how many were suppressed before it)."""
    row = _throttle(uow, tenant_id, alert_type, now)
    carried = 0
    if now - row.window_start >= timedelta(seconds=settings.alert_rate_window_seconds):
        row.window_start, row.sent = now, 0
        carried, row.suppressed = row.suppressed, 0
    if row.sent >= settings.alert_rate_limit:
        row.suppressed += 1
        row.suppressed_total += 1
        return False, 0
    row.sent += 1
    return True, carried


def _throttle(uow: UnitOfWork, tenant_id: str, alert_type: str, now: datetime) -> AlertThrottle:
    values: dict[str, Any] = dict(
        tenant_id=tenant_id,
        alert_type=alert_type,
        window_start=now,
        sent=0,
        suppressed=0,
        suppressed_total=0,
    )
    insert_ignore(uow, AlertThrottle, values)
    stmt = select(AlertThrottle).where(
        AlertThrottle.tenant_id == tenant_id, AlertThrottle.alert_type == alert_type
    )
    if uow.is_postgres:
        stmt = stmt.with_for_update()
    return uow.session.scalars(stmt).one()


def _record(
    uow: UnitOfWork,
    raised: _Raised,
    alert_type: str,
    *,
    status: AlertStatus,
    reported: int,
    now: datetime,
) -> None:
    alert = raised.alert
    uow.session.add(
        AlertRecord(
            tenant_id=raised.tenant_id,
            id=raised.id,
            alert_type=alert_type,
            severity=(alert.severity or "medium")[:16],
            title=(alert.title or alert_type)[:300],
            payload=alert.to_payload(),
            status=str(status),
            suppressed_before=reported,
            created_at=now,
        )
    )
    uow.session.flush()


def _queue_send(uow: UnitOfWork, raised: _Raised, route: AlertRoute, *, now: datetime) -> None:
    notification_id = new_id()
    uow.session.add(
        AlertNotification(
            tenant_id=raised.tenant_id,
            id=notification_id,
            alert_id=raised.id,
            route_id=route.id,
            channel=route.channel,
            destination_hint=route.destination_hint,
            status=NotificationStatus.PENDING.value,
            attempts=0,
            created_at=now,
        )
    )
    due = AlertSendDue(tenant_id=raised.tenant_id, notification_id=notification_id)
    outbox.add(uow, due, now=now)
