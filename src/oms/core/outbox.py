"""The transactional outbox: messages written in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from oms.core.db import table
from oms.core.ids import new_id
from oms.core.models import OutboxMessage
from oms.core.tracing import current_trace

__all__ = ["MessageStatus", "enqueue"]


_INSERT = insert(table(OutboxMessage))


class MessageStatus:
    """Life of an outbox message: pending → (running) → done, or dead after the last retry."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


def enqueue(
    session: Session,
    *,
    tenant_id: str,
    topic: str,
    payload: dict[str, Any],
    now: datetime,
    available_at: datetime | None = None,
) -> str:
    """Add a message to the caller's transaction; it is seen only if that transaction commits.

    ``available_at`` schedules it for later (a timeout, a retry); the job runner will not
    claim it before then. The current trace is stored so the job continues it.
    """
    trace = current_trace()
    message_id = new_id()
    values = dict(
        tenant_id=tenant_id,
        id=message_id,
        topic=topic,
        payload=payload,
        status=MessageStatus.PENDING,
        attempts=0,
        available_at=available_at or now,
        traceparent=trace.child().traceparent if trace else None,
        created_at=now,
    )
    session.connection().execute(_INSERT, values)
    return message_id
