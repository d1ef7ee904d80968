"""Jobs of the alerts domain: route ``alert.raised``, send each notification, and the
low-stock sweep."""

from __future__ import annotations

from functools import partial

from oms.alerts.events import AlertRaised, AlertSendDue
from oms.alerts.low_stock import LowSkus, sweep_low_stock
from oms.alerts.routing import route_alert
from oms.alerts.sending import send_notification
from oms.config import Settings
from oms.core.jobs import JobRegistry

__all__ = ["register"]


def register(registry: JobRegistry, settings: Settings, *, low_skus: LowSkus) -> None:
    """Attach the alert handlers."""
    registry.handle(AlertRaised, partial(route_alert, settings=settings))
    registry.handle(AlertSendDue, partial(send_notification, settings=settings))
    low_stock = partial(sweep_low_stock, low_skus=low_skus)
    registry.every("low-stock", settings.sweep_interval_seconds, low_stock)
