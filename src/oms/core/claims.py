"""Fair claiming of due outbox messages: round-robin across the tenants that have work.

A plain FIFO claim (oldest ``available_at`` first) lets one tenant's backlog — a 100,000-order
import, a webhook endpoint that times out — sit in front of every other tenant's payment
confirmation. Instead each claim first lists the tenants that have due messages (one index
probe per tenant, never a scan of the backlog), gives each of them an equal share of the
batch, and hands what a tenant could not use to the tenants that filled theirs. When more
tenants have work than the batch has room, a worker's ``Rotation`` starts each claim after
the tenant it served last, so every tenant is served within a few claims.

On PostgreSQL every per-tenant select takes its rows ``FOR UPDATE SKIP LOCKED``: concurrent
workers skip each other's rows and no message is claimed twice. SQLite has one writer at a
time, so the same selects are safe there without row locks. Messages whose lease lapsed (a
crashed worker) are claimed first, oldest first, whichever tenant they belong to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import zip_longest

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from oms.core.job_states import MessageStatus
from oms.core.models import OutboxMessage, Tenant

__all__ = ["Rotation", "claim_due", "fair_order", "tenants_with_due_work"]


@dataclass(slots=True)
class Rotation:
    """Where one worker's round-robin stands: the tenant its last claim served last."""

    last: str | None = None

    def window(self, tenants: Sequence[str], room: int) -> list[str]:
        """Up to ``room`` of ``tenants`` (sorted), starting after the one served last."""
        if not tenants or room <= 0:
            return []
        start = next((i for i, t in enumerate(tenants) if self.last is None or t > self.last), 0)
        rotated = [*tenants[start:], *tenants[:start]]
        picked = rotated[:room]
        self.last = picked[-1]
        return picked


def tenants_with_due_work(session: Session, *, now: datetime) -> list[str]:
    """Tenants (sorted) with at least one pending message due at ``now``."""
    due = exists().where(
        OutboxMessage.tenant_id == Tenant.id,
        OutboxMessage.status == MessageStatus.PENDING,
        OutboxMessage.available_at <= now,
    )
    return list(session.scalars(select(Tenant.id).where(due).order_by(Tenant.id)))


def claim_due(
    session: Session, *, now: datetime, limit: int, rotation: Rotation, is_postgres: bool
) -> list[OutboxMessage]:
    """Select (and on PostgreSQL lock) up to ``limit`` due messages, fairly across tenants.

    Returns them in the order to run them: lapsed leases first, then one message per tenant
    in turn. The caller moves them to running and commits.
    """
    lapsed = _lapsed(session, now=now, limit=limit, is_postgres=is_postgres)
    room = limit - len(lapsed)
    tenants = rotation.window(tenants_with_due_work(session, now=now), room)
    taken: dict[str, list[OutboxMessage]] = {}
    share = -(-room // len(tenants)) if tenants else 0
    for tenant_id in tenants:
        taken[tenant_id] = _pending(session, tenant_id, now, share, is_postgres=is_postgres)
    # What a tenant with little work left unused goes to the tenants that filled their share.
    left = room - sum(len(rows) for rows in taken.values())
    hungry = [t for t in tenants if len(taken[t]) == share]
    if left > 0 and hungry:
        extra = -(-left // len(hungry))
        for tenant_id in hungry:
            mine = [row.id for row in taken[tenant_id]]
            more = _pending(session, tenant_id, now, extra, is_postgres=is_postgres, besides=mine)
            taken[tenant_id].extend(more)
    return [*lapsed, *fair_order([taken[t] for t in tenants])][:limit]


def fair_order(queues: Sequence[Sequence[OutboxMessage]]) -> list[OutboxMessage]:
    """One message of each tenant's queue in turn: A1 B1 C1 A2 B2 A3 …"""
    return [row for turn in zip_longest(*queues) for row in turn if row is not None]


def _pending(
    session: Session,
    tenant_id: str,
    now: datetime,
    limit: int,
    *,
    is_postgres: bool,
    besides: Sequence[str] = (),
) -> list[OutboxMessage]:
    stmt = (
        select(OutboxMessage)
        .where(
            OutboxMessage.tenant_id == tenant_id,
            OutboxMessage.status == MessageStatus.PENDING,
            OutboxMessage.available_at <= now,
        )
        .order_by(OutboxMessage.available_at, OutboxMessage.id)
        .limit(limit)
    )
    if besides:
        # SKIP LOCKED does not skip the rows this transaction locked itself: name them.
        stmt = stmt.where(OutboxMessage.id.not_in(besides))
    if is_postgres:
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.scalars(stmt))


def _lapsed(
    session: Session, *, now: datetime, limit: int, is_postgres: bool
) -> list[OutboxMessage]:
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.status == MessageStatus.RUNNING, OutboxMessage.locked_until < now)
        .order_by(OutboxMessage.available_at)
        .limit(limit)
    )
    if is_postgres:
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.scalars(stmt))
