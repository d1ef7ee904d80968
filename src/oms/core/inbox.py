"""The inbox: every inbound message (gateway callback, platform webhook) stored raw, once.

A message is recorded before anything is decided about it, with its headers, raw body and
verification result, so an auditor can replay what arrived. ``(tenant, source, message_id)``
is unique: a redelivery is counted on the first row and changes nothing else. Rows are kept
even for unknown tenants (there is no foreign key), because a forged or misrouted delivery is
exactly what someone will ask about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from oms.core.ids import new_id
from oms.core.models import InboxMessage
from oms.core.shapes import project
from oms.core.uow import Database

__all__ = ["Inbound", "InboxEntry", "Recorded", "recent_messages", "record_inbound"]


@dataclass(frozen=True, slots=True)
class Inbound:
    """What arrived, as it arrived."""

    tenant_id: str
    source: str
    message_id: str
    headers: dict[str, str]
    body: bytes
    verification: str  # "verified" or "rejected"
    error_code: str | None = None
    topic: str | None = None
    details: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Recorded:
    id: str
    is_new: bool
    deliveries: int


def record_inbound(session: Session, message: Inbound, *, now: datetime) -> Recorded:
    """Store the message, or count a redelivery of one already stored (caller's transaction)."""
    values = {
        "tenant_id": message.tenant_id,
        "id": new_id(),
        "source": message.source,
        "message_id": message.message_id,
        "topic": message.topic,
        "headers": message.headers,
        "body": message.body,
        "verification": message.verification,
        "error_code": message.error_code,
        "details": message.details or {},
        "deliveries": 1,
        "received_at": now,
        "last_received_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(InboxMessage).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["tenant_id", "source", "message_id"],
        set_={
            "deliveries": InboxMessage.deliveries + 1,
            "last_received_at": now,
        },
    )
    session.execute(stmt)
    row = session.execute(
        select(InboxMessage.id, InboxMessage.deliveries).where(
            InboxMessage.tenant_id == message.tenant_id,
            InboxMessage.source == message.source,
            InboxMessage.message_id == message.message_id,
        )
    ).one()
    return Recorded(id=row.id, is_new=row.id == values["id"], deliveries=row.deliveries)


@dataclass(frozen=True, slots=True)
class InboxEntry:
    """One stored message as a person reviews it (no headers or body)."""

    id: str
    source: str
    topic: str | None
    message_id: str
    verification: str
    error_code: str | None
    deliveries: int
    outcome: str | None
    received_at: datetime
    processed_at: datetime | None
    # A refused message is stored under a key of its own; this is the id it claimed to have.
    claimed_message_id: str | None = None


def recent_messages(db: Database, tenant_id: str, *, limit: int = 100) -> list[InboxEntry]:
    """The tenant's inbound messages (callbacks and webhooks), newest first."""
    stmt = (
        select(InboxMessage)
        .where(InboxMessage.tenant_id == tenant_id)
        .order_by(InboxMessage.received_at.desc(), InboxMessage.id.desc())
        .limit(limit)
    )
    with db.reader() as session:
        return [_entry(row) for row in session.scalars(stmt)]


def _entry(row: InboxMessage) -> InboxEntry:
    claimed = (row.details or {}).get("claimed_message_id")
    return project(InboxEntry, row, claimed_message_id=claimed)
