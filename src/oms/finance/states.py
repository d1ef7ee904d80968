"""Statuses of statement lines, expected movements and matches: the only place they change.

A bank line and an expected movement start open (``unmatched`` / ``open``), go to ``review``
while a proposal for them waits for a person, back to open when every proposal of theirs is
rejected, and to ``matched`` when a match is confirmed (by the engine or a person); matched is
final. A match (``finance_matches`` row) is proposed in ``review`` or written ``confirmed``
straight away (an automatic or manual match); from review it is confirmed or rejected, and a
decided match stays decided (a rejected pair is never proposed again).

Each machine is the only writer of its status: ORM rows move with ``transition``, and the
set-based moves of the store (thousands of lines per matching run) take their WHERE and values
from the machine (``core.repo.move_all``).
"""

from __future__ import annotations

from enum import StrEnum

from oms.core.states import Machine, refusal
from oms.finance.errors import MatchConflict

__all__ = [
    "LINE_MACHINE",
    "LINE_TRANSITIONS",
    "MATCH_MACHINE",
    "MATCH_TRANSITIONS",
    "MOVEMENT_MACHINE",
    "MOVEMENT_TRANSITIONS",
    "LineStatus",
    "MatchStatus",
    "MovementStatus",
]


class LineStatus(StrEnum):
    UNMATCHED = "unmatched"
    REVIEW = "review"
    MATCHED = "matched"


class MovementStatus(StrEnum):
    OPEN = "open"
    REVIEW = "review"
    MATCHED = "matched"


class MatchStatus(StrEnum):
    REVIEW = "review"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


L, M, X = LineStatus, MovementStatus, MatchStatus

LINE_TRANSITIONS: dict[LineStatus, frozenset[LineStatus]] = {
    L.UNMATCHED: frozenset({L.REVIEW, L.MATCHED}),
    L.REVIEW: frozenset({L.MATCHED, L.UNMATCHED}),
    L.MATCHED: frozenset(),
}
MOVEMENT_TRANSITIONS: dict[MovementStatus, frozenset[MovementStatus]] = {
    M.OPEN: frozenset({M.REVIEW, M.MATCHED}),
    M.REVIEW: frozenset({M.MATCHED, M.OPEN}),
    M.MATCHED: frozenset(),
}
MATCH_TRANSITIONS: dict[MatchStatus, frozenset[MatchStatus]] = {
    X.REVIEW: frozenset({X.CONFIRMED, X.REJECTED}),
    X.CONFIRMED: frozenset(),
    X.REJECTED: frozenset(),
}


_refused = refusal(MatchConflict)

# None of the three has an ``updated_at``; a match records when it was decided.
LINE_MACHINE: Machine[LineStatus] = Machine(
    name="statement line", status=LineStatus, table=LINE_TRANSITIONS, error=_refused, touch=None
)
MOVEMENT_MACHINE: Machine[MovementStatus] = Machine(
    name="expected movement",
    status=MovementStatus,
    table=MOVEMENT_TRANSITIONS,
    error=_refused,
    touch=None,
)
MATCH_MACHINE: Machine[MatchStatus] = Machine(
    name="finance match",
    status=MatchStatus,
    table=MATCH_TRANSITIONS,
    error=_refused,
    stamps={X.CONFIRMED: ("decided_at",), X.REJECTED: ("decided_at",)},
    touch=None,
)
