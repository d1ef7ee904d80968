"""One state machine for every aggregate with a status.

A ``Machine`` holds a transition table (from-status → the statuses it may become), the
timestamps a move stamps, and how to build the domain's error for an illegal move. Its
``transition`` is the only code that assigns a status: each domain's ``states.py`` declares
its machine, and services call it. Tables can also be keyed by event (orders): ``event_table``
maps an event to the from → to pairs it allows, and ``transition(entity, event=…)`` resolves it.

Rows not written through an ORM object take their values from the machine as well: ``plan``
gives the columns one move writes (for a compare-and-set UPDATE), and ``sources`` with
``arrival`` give the WHERE and the values of a set-based UPDATE (reservation expiry, finance
bulk moves), so the table stays the single truth of which moves exist.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from oms.core.errors import AppError

__all__ = ["IllegalMove", "Machine", "refusal"]

S = TypeVar("S", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class IllegalMove:
    """What an error factory is told about a refused move."""

    machine: str
    current: str
    to: str | None
    event: str | None
    allowed: list[str]


#: The facts an illegal move's error may carry, by the name its problem+json ``details`` use.
_FACTS: dict[str, Callable[[IllegalMove], Any]] = {
    "current_status": lambda move: move.current,
    "current": lambda move: move.current,
    "to": lambda move: move.to,
    "allowed": lambda move: move.allowed,
}


def refusal(
    error: type[AppError],
    *,
    facts: tuple[str, ...] = ("current_status", "to", "allowed"),
    subject: str | None = None,
) -> Callable[[IllegalMove], AppError]:
    """The error factory every machine uses: ``error`` naming the move, e.g. "a matched
    statement line cannot become review", with ``facts`` in its details.

    ``facts`` and ``subject`` (the word for the entity, default the machine's name) keep the
    details each domain has always published (some say ``current``, some ``current_status``).
    """
    unknown = set(facts) - set(_FACTS)
    if unknown:
        raise ValueError(f"unknown facts: {sorted(unknown)}")

    def refuse(move: IllegalMove) -> AppError:
        return error(
            f"a {move.current} {subject or move.machine} cannot become {move.to}",
            **{name: _FACTS[name](move) for name in facts},
        )

    return refuse


@dataclass(frozen=True)
class Machine(Generic[S]):
    """A status enum's transition table and the rules of writing a move.

    ``stamps`` names, per target status, the attributes set to ``now`` on arrival (only when
    they are still empty if listed in ``stamp_once``); ``touch`` names the attribute every
    move sets to ``now`` (``updated_at``), or None.
    """

    name: str
    status: type[S]
    table: Mapping[S, frozenset[S]]
    error: Callable[[IllegalMove], AppError]
    stamps: Mapping[S, tuple[str, ...]] = field(default_factory=dict)
    stamp_once: frozenset[str] = frozenset()
    touch: str | None = "updated_at"
    event_table: Mapping[str, Mapping[S, S]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = set(self.status) - set(self.table)
        if missing:
            raise ValueError(f"{self.name}: statuses without a row: {sorted(missing)}")
        for event, pairs in self.event_table.items():
            for source, target in pairs.items():
                if target not in self.table[source]:
                    raise ValueError(f"{self.name}: {event} {source}→{target} not in the table")

    def can(self, current: S | str, to: S | str) -> bool:
        """True when the table allows ``current → to``."""
        return self.status(to) in self.table[self.status(current)]

    def allowed(self, current: S | str) -> list[S]:
        """The statuses ``current`` may become, in declaration order."""
        targets = self.table[self.status(current)]
        return [s for s in self.status if s in targets]

    def target(self, current: S | str, event: str) -> S | None:
        """Where ``event`` leads from ``current``, or None when the event table forbids it."""
        return self.event_table.get(event, {}).get(self.status(current))

    def events_from(self, current: S | str) -> list[str]:
        """Events the event table allows from ``current``, in declaration order."""
        status = self.status(current)
        return [event for event, pairs in self.event_table.items() if status in pairs]

    def plan(
        self,
        current: S | str,
        *,
        to: S | str | None = None,
        event: str | None = None,
        now: datetime,
        stamped: Collection[str] = (),
    ) -> dict[str, Any]:
        """The column values one move from ``current`` writes (status, stamps, touch).

        Pure: nothing is read from or written to an entity, so a caller writing the row with
        its own compare-and-set UPDATE (orders) plans from the status it read. ``stamped``
        names the stamp columns that already hold a value: a ``stamp_once`` stamp among them
        is left out. Raises: the machine's error for a move the table does not allow.
        """
        source = self.status(current)
        target = self._resolve(source, to=to, event=event)
        values: dict[str, Any] = {"status": str(target)}
        if self.touch is not None:
            values[self.touch] = now
        for stamp in self.stamps.get(target, ()):
            if stamp not in self.stamp_once or stamp not in stamped:
                values[stamp] = now
        return values

    def changes(
        self, entity: Any, *, to: S | str | None = None, event: str | None = None, now: datetime
    ) -> dict[str, Any]:
        """The column values moving ``entity`` writes, without applying them (see ``plan``).

        Raises: the machine's error for a move the table does not allow.
        """
        stamped = {s for s in self.stamp_once if getattr(entity, s, None) is not None}
        return self.plan(entity.status, to=to, event=event, now=now, stamped=stamped)

    def sources(self, to: S | str) -> list[S]:
        """The statuses the table lets become ``to``, in declaration order.

        The WHERE of a set-based move (``status IN sources``): a row in any other status is
        left as it is, so one UPDATE can never make a move the table forbids.
        """
        target = self.status(to)
        return [s for s in self.status if target in self.table[s]]

    def arrival(self, to: S | str, *, now: datetime) -> dict[str, Any]:
        """The column values a set-based move of rows in ``sources(to)`` to ``to`` writes.

        Raises ValueError when no status may become ``to``, or when ``to`` stamps a
        ``stamp_once`` column (one UPDATE cannot tell which of its rows carry it already).
        """
        target = self.status(to)
        if not self.sources(target):
            raise ValueError(f"{self.name}: no status may become {target}")
        once = self.stamp_once.intersection(self.stamps.get(target, ()))
        if once:
            raise ValueError(f"{self.name}: {target} stamps {sorted(once)} only once")
        return self.plan(self.sources(target)[0], to=target, now=now)

    def transition(
        self, entity: Any, *, to: S | str | None = None, event: str | None = None, now: datetime
    ) -> S:
        """Move ``entity`` (by target status or by event), stamp it; return the status it left.

        Raises: the machine's error for a move the table does not allow.
        """
        current = self.status(entity.status)
        for attribute, value in self.changes(entity, to=to, event=event, now=now).items():
            setattr(entity, attribute, value)
        return current

    def pairs(self) -> Iterator[tuple[S, S, bool]]:
        """Every (from, to) pair of statuses and whether the table allows it (for tests)."""
        for current in self.status:
            for target in self.status:
                yield current, target, target in self.table[current]

    def event_pairs(self) -> Iterator[tuple[S, str, S | None]]:
        """Every (from, event) pair of the event table and where it leads, None when the event
        is refused from there (for tests)."""
        for current in self.status:
            for event in self.event_table:
                yield current, event, self.target(current, event)

    def _resolve(self, current: S, *, to: S | str | None, event: str | None) -> S:
        if (to is None) == (event is None):
            raise TypeError("give exactly one of to= and event=")
        if event is not None:
            target = self.target(current, event)
            if target is None:
                raise self.error(self._illegal(current, None, event))
            return target
        assert to is not None
        wanted = self.status(to)
        if wanted not in self.table[current]:
            raise self.error(self._illegal(current, wanted, None))
        return wanted

    def _illegal(self, current: S, to: S | None, event: str | None) -> IllegalMove:
        allowed = self.events_from(current) if event else [str(s) for s in self.allowed(current)]
        return IllegalMove(
            self.name, str(current), str(to) if to else None, event, [str(a) for a in allowed]
        )
