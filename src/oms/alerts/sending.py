"""The ``alert.send`` job: one notification to one channel, outside any transaction.

A failure is recorded on the notification and raised, so the job runner retries with its
backoff; after the runner's last attempt the notification is marked failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from oms.alerts.channels import send_dingtalk, send_email, send_wecom
from oms.alerts.events import AlertSendDue
from oms.alerts.messages import AlertView, Rendered, render
from oms.alerts.models import AlertNotification, AlertRecord, AlertRoute
from oms.alerts.schemas import Channel
from oms.alerts.service import route_context
from oms.alerts.states import NOTIFICATION_MACHINE, NotificationStatus
from oms.config import Settings
from oms.core.auth import get_tenant
from oms.core.jobs import JobRun
from oms.core.secrets import secret_box
from oms.core.uow import Database

__all__ = ["send_notification"]


@dataclass(frozen=True, slots=True)
class _Target:
    channel: str
    destination: str
    secret: str | None
    message: Rendered


def send_notification(
    db: Database, event: AlertSendDue, run: JobRun, *, settings: Settings
) -> None:
    """Send one notification; raise (to be retried) when the channel refuses it."""
    tenant_id, notification_id = event.tenant_id, event.notification_id
    target = _target(db, tenant_id, notification_id, settings=settings)
    if target is None:
        return
    try:
        _send(target, now=db.clock.now(), settings=settings)
    except Exception as exc:
        error = f"{exc}"[:2000]
        _settle(db, tenant_id, notification_id, error=error, is_final=run.is_last_attempt)
        raise
    _settle(db, tenant_id, notification_id, error=None, is_final=True)


def _target(
    db: Database, tenant_id: str, notification_id: str, *, settings: Settings
) -> _Target | None:
    with db.reader() as session:
        notification = session.get(AlertNotification, (tenant_id, notification_id))
        if notification is None or notification.status != NotificationStatus.PENDING:
            return None
        route = session.get(AlertRoute, (tenant_id, notification.route_id))
        alert = session.get(AlertRecord, (tenant_id, notification.alert_id))
    if route is None or alert is None:  # the route was removed since
        _settle(db, tenant_id, notification_id, error="route removed", is_final=True)
        return None
    box = secret_box()
    destination = box.open(
        route.destination_sealed, context=route_context(tenant_id, route.id, "destination")
    )
    secret = None
    if route.secret_sealed is not None:
        secret = box.open(route.secret_sealed, context=route_context(tenant_id, route.id, "secret"))
    view = AlertView(
        alert_type=alert.alert_type,
        severity=alert.severity,
        title=alert.title,
        payload=dict(alert.payload),
        raised_at=alert.created_at,
        timezone=get_tenant(db, tenant_id).timezone,
        suppressed_before=alert.suppressed_before,
        window_minutes=max(1, settings.alert_rate_window_seconds // 60),
    )
    return _Target(route.channel, destination, secret, render(view, locale=route.locale))


def _send(target: _Target, *, now: datetime, settings: Settings) -> None:
    if target.channel == Channel.DINGTALK:
        send_dingtalk(
            target.destination, target.secret or "", target.message, now=now, settings=settings
        )
    elif target.channel == Channel.WECOM:
        send_wecom(target.destination, target.message, settings=settings)
    else:
        send_email(target.destination, target.message, settings=settings)


def _settle(
    db: Database, tenant_id: str, notification_id: str, *, error: str | None, is_final: bool
) -> None:
    with db.uow() as uow:
        row = uow.session.get(AlertNotification, (tenant_id, notification_id))
        if row is None or row.status != NotificationStatus.PENDING:
            return
        row.attempts += 1
        row.last_error = error
        now = uow.clock.now()
        if error is None:
            NOTIFICATION_MACHINE.transition(row, to=NotificationStatus.SENT, now=now)
        elif is_final:
            gone = error == "route removed"
            to = NotificationStatus.CANCELLED if gone else NotificationStatus.FAILED
            NOTIFICATION_MACHINE.transition(row, to=to, now=now)
        uow.commit()
