"""What the refund queue says when it is empty: why, and where the waiting refunds are.

An empty queue is ambiguous: nothing waits, or everything waits in groups the user is not in,
or in a group nobody is in (so nobody but an admin can decide it). The page says which.
"""

from __future__ import annotations

from dataclasses import dataclass

from oms.core.uow import Database
from oms.refunds import queries as refund_queries
from oms.refunds import routing
from oms.users.schemas import SessionUser

__all__ = ["QueueHelp", "queue_help"]


@dataclass(frozen=True, slots=True)
class QueueHelp:
    """``my_groups``: the user's review groups; ``waiting_elsewhere``: requested refunds in
    other groups; ``unstaffed``: groups with waiting refunds and no member."""

    my_groups: list[str]
    waiting_elsewhere: int
    unstaffed: list[str]


def queue_help(db: Database, user: SessionUser) -> QueueHelp:
    """Why the user's queue holds what it holds (read when it is empty)."""
    principal = f"user:{user.user_id}"
    groups = routing.list_groups(db, user.tenant_id)
    mine = [g.name for g in groups if principal in g.members]
    staffed = {g.name for g in groups if g.members}
    waiting = refund_queries.waiting_by_group(db, user.tenant_id)
    elsewhere = sum(n for group, n in waiting.items() if group not in mine)
    unstaffed = sorted(group for group in waiting if group not in staffed)
    return QueueHelp(mine, elsewhere, unstaffed)
