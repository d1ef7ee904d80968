"""The transactional outbox: events written in the same transaction as the change.

An event is a frozen dataclass that names its topic (``topic: ClassVar[str]``) and carries
the tenant it belongs to; its other fields are the message's JSON payload, under their own
names. Those names are a contract: outbox rows already written, the event relay (NATS) and
outbound webhooks read them, so rename a field only together with a migration of the rows.

```python
@dataclass(frozen=True, slots=True, kw_only=True)
class RefundExecutionDue(Event):
    topic: ClassVar[str] = "refund.execute"
    refund_id: str
    order_id: str

outbox.add(uow, RefundExecutionDue(tenant_id=t, refund_id=r, order_id=o))
```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, ClassVar, Self

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import insert

from oms.core.db import table
from oms.core.ids import new_id
from oms.core.job_states import MessageStatus  # its home; still importable from here
from oms.core.models import OutboxMessage
from oms.core.tracing import current_trace
from oms.core.uow import UnitOfWork

__all__ = ["Event", "MessageStatus", "UndecodableEvent", "add"]


_INSERT = insert(table(OutboxMessage))
# The row's own column, never a payload key: an event names its tenant in ``tenant_id``.
_TENANT = "tenant_id"


class UndecodableEvent(ValueError):
    """A stored payload that is not the event its topic's handler declares."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base of every outbox event: the tenant, then the fields of the payload.

    Fields are JSON values (str, int, bool, None, lists, dicts) or types pydantic writes as
    one (``date`` as ``YYYY-MM-DD``); decoding checks each against its annotation.
    """

    topic: ClassVar[str]
    tenant_id: str

    def to_payload(self) -> dict[str, Any]:
        """The JSON payload stored in the outbox row (every field but the tenant)."""
        data: dict[str, Any] = _adapter(type(self)).dump_python(self, mode="json")
        del data[_TENANT]
        return data

    @classmethod
    def from_payload(cls, tenant_id: str, payload: Mapping[str, Any]) -> Self:
        """The event a stored payload holds. Raises UndecodableEvent naming what is wrong."""
        known = {f.name for f in fields(cls)} - {_TENANT}
        unknown = sorted(set(payload) - known)
        if unknown:
            raise UndecodableEvent(f"{cls.__name__}: unknown field(s) {', '.join(unknown)}")
        try:
            event: Self = _adapter(cls).validate_python({**payload, _TENANT: tenant_id})
        except ValidationError as exc:
            raise UndecodableEvent(f"{cls.__name__}: {_problems(exc)}") from None
        return event


def _adapter(event_type: type[Event]) -> TypeAdapter[Any]:
    """The class's validator and serializer, built once: building is the expensive part."""
    adapter = _ADAPTERS.get(event_type)
    if adapter is None:
        adapter = _ADAPTERS[event_type] = TypeAdapter(event_type)
    return adapter


_ADAPTERS: dict[type[Event], TypeAdapter[Any]] = {}


def _problems(exc: ValidationError) -> str:
    """``field: message`` per error, without pydantic's links and echoed input."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()
    )


def add(
    uow: UnitOfWork,
    event: Event,
    *,
    now: datetime | None = None,
    not_before: datetime | None = None,
) -> str:
    """Add ``event`` to the unit of work's transaction; it is seen only if that commits.

    ``now`` is the change's own time (default: the clock's), which webhooks and the relay
    report as when the event occurred. ``not_before`` schedules the job for later (a
    deadline): the runner will not claim it before then. The current trace is stored so the
    job continues it. Returns the message id.
    """
    created = now or uow.clock.now()
    trace = current_trace()
    message_id = new_id()
    values = dict(
        tenant_id=event.tenant_id,
        id=message_id,
        topic=event.topic,
        payload=event.to_payload(),
        status=MessageStatus.PENDING,
        attempts=0,
        available_at=not_before or created,
        traceparent=trace.child().traceparent if trace else None,
        created_at=created,
    )
    uow.session.connection().execute(_INSERT, values)
    return message_id
