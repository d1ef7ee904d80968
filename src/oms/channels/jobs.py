"""Jobs the channels domain runs from the outbox."""

from __future__ import annotations

from oms.channels import service
from oms.channels.events import DeliveryDeferred
from oms.core.jobs import JobRegistry, JobRun
from oms.core.uow import Database

__all__ = ["register"]


def _delivery_deferred(db: Database, event: DeliveryDeferred, _run: JobRun) -> None:
    """Apply a delivery the intake limit held back."""
    service.apply_deferred(
        db, tenant_id=event.tenant_id, channel=event.channel, inbox_id=event.inbox_id
    )


def register(registry: JobRegistry) -> None:
    """Attach the channels domain's handlers."""
    registry.handle(DeliveryDeferred, _delivery_deferred)
