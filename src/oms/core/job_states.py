"""Life of an outbox message (a job): the one place its status changes.

pending → running when a worker claims it; running → done, back to pending (a retry, later),
or dead after the last attempt; running → running when its lease lapsed and another worker
claims it again (the first one crashed); dead → pending when a person retries it. Done is
final. The job runner writes every move through ``MESSAGE_MACHINE``: claimed rows move with
``transition``, a finished job with a ``core.repo.move_all`` UPDATE taken from the table.
"""

from __future__ import annotations

from enum import StrEnum

from oms.core.errors import Conflict
from oms.core.states import Machine, refusal

__all__ = ["MESSAGE_MACHINE", "MESSAGE_TRANSITIONS", "MessageStatus"]


class MessageStatus(StrEnum):
    """Life of an outbox message: pending → (running) → done, or dead after the last retry."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


S = MessageStatus

MESSAGE_TRANSITIONS: dict[MessageStatus, frozenset[MessageStatus]] = {
    S.PENDING: frozenset({S.RUNNING}),
    S.RUNNING: frozenset({S.RUNNING, S.PENDING, S.DONE, S.DEAD}),
    S.DONE: frozenset(),
    S.DEAD: frozenset({S.PENDING}),
}


MESSAGE_MACHINE: Machine[MessageStatus] = Machine(
    name="outbox message",
    status=MessageStatus,
    table=MESSAGE_TRANSITIONS,
    error=refusal(Conflict),
    stamps={S.DONE: ("processed_at",)},
    touch=None,
)
