"""A notification message's statuses and the moves between them.

``queued`` waits for its send job; ``deferred`` waits for the end of the buyer's quiet hours
(the job is scheduled then); ``sent`` and ``failed`` are final; ``fallback`` is final for a
WeChat message that had no subscription left (or was refused): an SMS message replaces it.
"""

from __future__ import annotations

from enum import StrEnum

from oms.core.errors import Conflict
from oms.core.states import Machine, refusal

__all__ = ["MACHINE", "InvalidMessageTransition", "MessageStatus"]


class MessageStatus(StrEnum):
    QUEUED = "queued"
    DEFERRED = "deferred"
    SENT = "sent"
    FAILED = "failed"
    FALLBACK = "fallback"


S = MessageStatus
_FINAL = frozenset({S.SENT, S.FAILED, S.FALLBACK})
_TRANSITIONS: dict[MessageStatus, frozenset[MessageStatus]] = {
    S.QUEUED: _FINAL,
    S.DEFERRED: _FINAL,
    S.SENT: frozenset(),
    S.FAILED: frozenset(),
    S.FALLBACK: frozenset(),
}


class InvalidMessageTransition(Conflict):
    code = "ERR_NOTIFICATION_INVALID_TRANSITION"
    title = "The notification message cannot make this move"


MACHINE: Machine[MessageStatus] = Machine(
    name="notification",
    status=MessageStatus,
    table=_TRANSITIONS,
    error=refusal(InvalidMessageTransition),
    stamps={S.SENT: ("sent_at",)},
)
