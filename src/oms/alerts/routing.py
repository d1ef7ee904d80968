"""The ``alert.raised`` job: record the alert once, rate-limit it, queue one send per route.

Database only, one transaction. The alert's id is the message id, so a re-run changes
nothing. The rate limit is a fixed window per tenant and alert type, kept in a row that is
locked while it is counted, so it holds across any number of workers: at most
``OMS_ALERT_RATE_LIMIT`` alerts per ``OMS_ALERT_RATE_WINDOW_SECONDS`` go out; the rest are
recorded as suppressed and counted, and the first alert of the next window says how many.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from oms.alerts.models import AlertNotification, AlertRecord, AlertRoute, AlertThrottle
from oms.config import Settings
from oms.core import outbox
from oms.core.ids import new_id
from oms.core.jobs import Job
from oms.core.uow import Database, UnitOfWork

__all__ = ["ALERT_SEND", "route_alert"]

ALERT_SEND = "alert.send"


def route_alert(db: Database, job: Job, *, settings: Settings) -> None:
    """Handle one ``alert.raised`` message."""
    alert_type = str(job.payload.get("type") or "unknown")[:100]
    with db.uow() as uow:
        if uow.session.get(AlertRecord, (job.tenant_id, job.id)) is not None:
            return
        now = uow.clock.now()
        routes = _matching_routes(uow, job.tenant_id, alert_type)
        status, reported = "unrouted", 0
        if routes:
            is_allowed, reported = _take_slot(uow, job.tenant_id, alert_type, now, settings)
            status = "routed" if is_allowed else "suppressed"
        _record(uow, job, alert_type, status=status, reported=reported, now=now)
        if status == "routed":
            for route in routes:
                _queue_send(uow, job, route, now=now)
        uow.commit()


def _matching_routes(uow: UnitOfWork, tenant_id: str, alert_type: str) -> list[AlertRoute]:
    routes = uow.session.scalars(
        select(AlertRoute).where(AlertRoute.tenant_id == tenant_id).order_by(AlertRoute.id)
    )
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
    insert = pg_insert if uow.is_postgres else sqlite_insert
    uow.session.execute(insert(AlertThrottle).values(**values).on_conflict_do_nothing())
    stmt = select(AlertThrottle).where(
        AlertThrottle.tenant_id == tenant_id, AlertThrottle.alert_type == alert_type
    )
    if uow.is_postgres:
        stmt = stmt.with_for_update()
    return uow.session.scalars(stmt).one()


def _record(
    uow: UnitOfWork, job: Job, alert_type: str, *, status: str, reported: int, now: datetime
) -> None:
    uow.session.add(
        AlertRecord(
            tenant_id=job.tenant_id,
            id=job.id,
            alert_type=alert_type,
            severity=str(job.payload.get("severity") or "medium")[:16],
            title=str(job.payload.get("title") or alert_type)[:300],
            payload=dict(job.payload),
            status=status,
            suppressed_before=reported,
            created_at=now,
        )
    )
    uow.session.flush()


def _queue_send(uow: UnitOfWork, job: Job, route: AlertRoute, *, now: datetime) -> None:
    notification_id = new_id()
    uow.session.add(
        AlertNotification(
            tenant_id=job.tenant_id,
            id=notification_id,
            alert_id=job.id,
            route_id=route.id,
            channel=route.channel,
            destination_hint=route.destination_hint,
            status="pending",
            attempts=0,
            created_at=now,
        )
    )
    outbox.enqueue(
        uow.session,
        tenant_id=job.tenant_id,
        topic=ALERT_SEND,
        payload={"notification_id": notification_id},
        now=now,
    )
