"""Events of the alerts domain: ``alert.raised`` (any domain raises one) and the send job."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from oms.core.outbox import Event, UndecodableEvent

__all__ = ["AlertRaised", "AlertSendDue"]

_HEAD = ("type", "severity", "title")


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertRaised(Event):
    """Something an operator should know now (relayed and sent to webhook subscribers).

    ``type`` picks the routes (``ticket.payment_orphaned``, ``refund.sla_red``, …). What else
    the raiser knows (``order_id``, ``ticket_id``, ``subscription_id``, ``url`` are shown by
    every channel) goes in ``details``, which the payload carries flat beside the three, as
    alerts always have: a consumer reads ``payload["order_id"]``, not a nested object.
    """

    topic: ClassVar[str] = "alert.raised"
    type: str
    severity: str
    title: str
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        clash = sorted(set(self.details) & {*_HEAD, "tenant_id"})
        if clash:
            raise ValueError(f"alert details may not be named {', '.join(clash)}")

    def to_payload(self) -> dict[str, Any]:
        """``type``, ``severity``, ``title``, then the details, in one flat object."""
        return {"type": self.type, "severity": self.severity, "title": self.title} | dict(
            self.details
        )

    @classmethod
    def from_payload(cls, tenant_id: str, payload: Mapping[str, Any]) -> Self:
        """Raises UndecodableEvent when ``type``, ``severity`` or ``title`` is not a string."""
        wrong = [key for key in _HEAD if not isinstance(payload.get(key), str)]
        if wrong or "tenant_id" in payload:
            bad = ", ".join(wrong or ["tenant_id"])
            raise UndecodableEvent(f"{cls.__name__}: missing, not text or reserved: {bad}")
        details = {key: value for key, value in payload.items() if key not in _HEAD}
        return cls(
            tenant_id=tenant_id,
            type=payload["type"],
            severity=payload["severity"],
            title=payload["title"],
            details=details,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertSendDue(Event):
    """One notification of a routed alert to send to its channel."""

    topic: ClassVar[str] = "alert.send"
    notification_id: str
