"""The job registry belongs to whoever builds it: no module state, no silent double booking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pytest

from oms.config import Settings
from oms.core.jobs import JobRegistry, JobRun
from oms.core.outbox import Event
from oms.core.uow import Database
from oms.jobs_wiring import build_registry
from oms.payments.events import PaymentConfirmationDue
from tests.fixtures.jobs import Probe


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeLookalike(Event):
    topic: ClassVar[str] = Probe.topic


def _noop(_db: Database, _event: Event, _run: JobRun) -> None:
    """Does nothing."""


def test_each_build_is_a_registry_of_its_own() -> None:
    first, second = build_registry(Settings(env="test")), build_registry(Settings(env="test"))
    assert first is not second
    assert first.handlers.keys() == second.handlers.keys()
    first.handle(Probe, _noop)
    assert Probe.topic in first.handlers
    assert Probe.topic not in second.handlers
    assert Probe.topic not in build_registry(Settings(env="test")).handlers


def test_the_application_registry_decodes_each_topic_as_its_event() -> None:
    registry = build_registry(Settings(env="test"))
    assert registry.event_type("payment.confirm") is PaymentConfirmationDue
    assert registry.subscribers["order.created"].keys() == {"webhooks.fan_out", "risk.assess"}
    assert {"idempotency-purge", "reservation-expiry", "refund-sla"} <= set(registry.sweeps)


def test_a_second_handler_for_a_topic_is_refused(job_registry: JobRegistry) -> None:
    job_registry.handle(Probe, _noop)
    with pytest.raises(ValueError, match="already has a handler"):
        job_registry.handle(Probe, _noop)


def test_a_topic_decodes_as_one_event_class_only(job_registry: JobRegistry) -> None:
    job_registry.subscribe(Probe, "one", _noop)
    with pytest.raises(ValueError, match="decodes as Probe"):
        job_registry.handle(ProbeLookalike, _noop)


def test_a_subscriber_name_and_a_sweep_name_are_taken_once(job_registry: JobRegistry) -> None:
    job_registry.subscribe(Probe, "one", _noop)
    with pytest.raises(ValueError, match="subscriber 'one'"):
        job_registry.subscribe(Probe, "one", _noop)
    job_registry.every("tick", 60, lambda _db: None)
    with pytest.raises(ValueError, match="sweep 'tick'"):
        job_registry.every("tick", 60, lambda _db: None)


def test_the_handler_runs_before_the_subscribers(job_registry: JobRegistry) -> None:
    def handler(_db: Database, _event: Probe, _run: JobRun) -> None:
        """The handler."""

    job_registry.subscribe(Probe, "late", _noop)
    job_registry.handle(Probe, handler)
    assert job_registry.consumers(Probe.topic) == [handler, _noop]
    assert job_registry.consumers("nobody.listens") == []
