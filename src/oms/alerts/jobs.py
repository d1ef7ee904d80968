"""Jobs of the alerts domain: route ``alert.raised``, send each notification."""

from __future__ import annotations

from functools import partial

from oms.alerts.routing import ALERT_SEND, route_alert
from oms.alerts.sending import send_notification
from oms.config import Settings
from oms.core.jobs import register_handler
from oms.tickets.service import ALERT_RAISED

__all__ = ["register"]


def register(settings: Settings) -> None:
    """Attach the alert handlers to the job runner."""
    register_handler(ALERT_RAISED, partial(route_alert, settings=settings))
    register_handler(ALERT_SEND, partial(send_notification, settings=settings))
