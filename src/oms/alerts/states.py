"""Alert statuses: how an alert was routed, and the life of each notification it sends.

An alert record's status is decided once, when it is routed (``routed``, ``suppressed`` by the
rate limit, ``unrouted`` for want of a route). A notification is ``pending`` until its channel
accepts it (``sent``), its retries are spent (``failed``) or its route is removed
(``cancelled``).
"""

from __future__ import annotations

from enum import StrEnum

from oms.alerts.errors import InvalidNotificationTransition
from oms.core.states import Machine, refusal

__all__ = ["NOTIFICATION_MACHINE", "AlertStatus", "NotificationStatus"]


class AlertStatus(StrEnum):
    ROUTED = "routed"
    SUPPRESSED = "suppressed"
    UNROUTED = "unrouted"


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


_illegal = refusal(InvalidNotificationTransition, facts=("current_status",), subject="notification")


_N = NotificationStatus

NOTIFICATION_MACHINE: Machine[NotificationStatus] = Machine(
    name="alert notification",
    status=NotificationStatus,
    table={
        _N.PENDING: frozenset({_N.SENT, _N.FAILED, _N.CANCELLED}),
        _N.SENT: frozenset(),
        _N.FAILED: frozenset(),
        _N.CANCELLED: frozenset(),
    },
    error=_illegal,
    stamps={_N.SENT: ("sent_at",)},
    touch=None,
)
