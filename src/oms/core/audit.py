"""The append-only audit log: every attempt to change an aggregate, with its outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from oms.core.context import Actor
from oms.core.db import table
from oms.core.ids import new_id
from oms.core.models import AuditEntry
from oms.core.tracing import current_trace

__all__ = ["Attempt", "Outcome", "record_attempt"]


# One constant statement: SQLAlchemy compiles and caches it once, values travel as parameters.
_INSERT = insert(table(AuditEntry))


class Outcome:
    """What became of an attempt."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    STALE = "stale"
    # Older than a later change from another system: refused and handed to a person.
    CONFLICT = "conflict"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Attempt:
    """The facts of one attempt, independent of the aggregate it targets."""

    aggregate_type: str
    aggregate_id: str
    event: str
    outcome: str
    from_status: str | None = None
    to_status: str | None = None
    error_code: str | None = None
    version_after: int | None = None
    source: str | None = None
    reason: str | None = None
    occurred_at: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)


def record_attempt(session: Session, actor: Actor, attempt: Attempt, *, now: datetime) -> str:
    """Append an audit entry for ``attempt`` in the caller's transaction; return its id."""
    trace = current_trace()
    entry_id = new_id()
    values = dict(
        tenant_id=actor.tenant_id,
        id=entry_id,
        aggregate_type=attempt.aggregate_type,
        aggregate_id=attempt.aggregate_id,
        event=attempt.event,
        from_status=attempt.from_status,
        to_status=attempt.to_status,
        outcome=attempt.outcome,
        error_code=attempt.error_code,
        version_after=attempt.version_after,
        source=attempt.source,
        actor=actor.principal,
        client_ip=actor.client_ip,
        user_agent=(actor.user_agent or None) and actor.user_agent[:512],
        body_sha256=actor.body_sha256,
        trace_id=trace.trace_id if trace else None,
        reason=attempt.reason,
        details=attempt.details,
        occurred_at=attempt.occurred_at,
        recorded_at=now,
    )
    session.connection().execute(_INSERT, values)
    return entry_id
