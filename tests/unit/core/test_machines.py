"""Every aggregate's state machine, checked pair by pair from its own table.

The machines are found, not listed: every module whose name ends in ``states`` (a domain's
``states.py``, ``core/job_states.py``) that declares a module-level ``Machine`` is picked up, so
a new aggregate is covered the day its table exists. Each (from, to) pair and each (from, event)
pair is checked, and so are the values a row written without an ORM object gets (``plan`` for a
compare-and-set UPDATE, ``sources``/``arrival`` for a set-based one).
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

import oms
from oms.core.errors import AppError
from oms.core.states import Machine

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _states_modules() -> list[str]:
    return [
        info.name
        for info in pkgutil.walk_packages(oms.__path__, "oms.")
        if info.name.rsplit(".", 1)[-1].endswith("states")
        and not info.name.startswith("oms.migrations")
    ]


def _machines() -> list[Machine[Any]]:
    found: dict[int, Machine[Any]] = {}
    for name in _states_modules():
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, Machine):
                found.setdefault(id(value), value)
    return list(found.values())


MACHINES = _machines()
PAIRS = [
    pytest.param(machine, current, target, allowed, id=f"{machine.name}:{current}->{target}")
    for machine in MACHINES
    for current, target, allowed in machine.pairs()
]
EVENT_PAIRS = [
    pytest.param(machine, current, event, target, id=f"{machine.name}:{current}+{event}")
    for machine in MACHINES
    for current, event, target in machine.event_pairs()
]
TARGETS = [
    pytest.param(machine, target, id=f"{machine.name}:->{target}")
    for machine in MACHINES
    for target in machine.status
]


def _entity(machine: Machine[Any], status: str) -> SimpleNamespace:
    stamps = {name for names in machine.stamps.values() for name in names}
    fields: dict[str, Any] = dict.fromkeys(stamps)
    if machine.touch:
        fields[machine.touch] = None
    return SimpleNamespace(status=status, **fields)


def test_the_machines_are_found() -> None:
    names = {m.name for m in MACHINES}
    assert names >= {
        "refund",
        "payment",
        "ticket",
        "webhook subscription",
        "webhook delivery",
        "alert notification",
        "order",
        "reservation",
        "statement line",
        "expected movement",
        "finance match",
        "outbox message",
        "shipment",
    }
    assert "oms.core.job_states" in _states_modules()


@pytest.mark.parametrize(("machine", "current", "target", "allowed"), PAIRS)
def test_every_pair_follows_the_table(
    machine: Machine[Any], current: str, target: str, allowed: bool
) -> None:
    entity = _entity(machine, str(current))
    if allowed:
        left = machine.transition(entity, to=target, now=NOW)
        assert left == current
        assert entity.status == str(target)
        for stamp in machine.stamps.get(target, ()):
            assert getattr(entity, stamp) == NOW
        if machine.touch:
            assert getattr(entity, machine.touch) == NOW
    else:
        with pytest.raises(AppError) as refused:
            machine.transition(entity, to=target, now=NOW)
        assert refused.value.code.startswith("ERR_")
        assert entity.status == str(current)  # nothing half-applied


@pytest.mark.parametrize(("machine", "current", "event", "target"), EVENT_PAIRS)
def test_every_event_follows_the_event_table(
    machine: Machine[Any], current: str, event: str, target: str | None
) -> None:
    entity = _entity(machine, str(current))
    if target is not None:
        assert machine.transition(entity, event=event, now=NOW) == current
        assert entity.status == str(target)
        assert machine.can(current, target)
    else:
        with pytest.raises(AppError) as refused:
            machine.transition(entity, event=event, now=NOW)
        assert refused.value.code.startswith("ERR_")
        assert entity.status == str(current)


@pytest.mark.parametrize(("machine", "current", "target", "allowed"), PAIRS)
def test_a_planned_row_is_what_the_move_writes(
    machine: Machine[Any], current: str, target: str, allowed: bool
) -> None:
    if not allowed:
        with pytest.raises(AppError):
            machine.plan(current, to=target, now=NOW)
        return
    entity = _entity(machine, str(current))
    planned = machine.plan(current, to=target, now=NOW)
    machine.transition(entity, to=target, now=NOW)
    assert planned == {column: getattr(entity, column) for column in planned}
    assert planned["status"] == str(target)


@pytest.mark.parametrize(("machine", "target"), TARGETS)
def test_a_set_based_move_takes_its_where_and_values_from_the_table(
    machine: Machine[Any], target: str
) -> None:
    sources = machine.sources(target)
    assert sources == [s for s, to, allowed in machine.pairs() if allowed and to == target]
    once = machine.stamp_once.intersection(machine.stamps.get(target, ()))  # type: ignore[arg-type]
    if not sources or once:
        with pytest.raises(ValueError, match=r"no status may become|only once"):
            machine.arrival(target, now=NOW)
        return
    arrival = machine.arrival(target, now=NOW)
    assert all(arrival == machine.plan(source, to=target, now=NOW) for source in sources)
