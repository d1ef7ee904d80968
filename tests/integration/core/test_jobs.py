"""The outbox job runner: due times, retries with backoff, dead letters, trace continuation,
typed events and registries of their own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

import pytest
from sqlalchemy import update

from oms.config import Settings
from oms.core import jobs, outbox
from oms.core.clock import ManualClock
from oms.core.errors import Conflict
from oms.core.jobs import JobRegistry, JobRun, Worker
from oms.core.models import OutboxMessage
from oms.core.outbox import Event
from oms.core.tracing import current_trace, new_trace, traced
from oms.core.uow import Database
from oms.orders import jobs as order_jobs
from oms.orders import queries, service
from oms.orders.states import OrderStatus
from tests.fixtures.jobs import Probe
from tests.fixtures.orders import order_create
from tests.fixtures.tenants import TenantKeys

SETTINGS = Settings(env="test", job_max_attempts=3, job_backoff_base_seconds=10)


@dataclass(frozen=True, slots=True, kw_only=True)
class Exploded(Event):
    topic: ClassVar[str] = "test.explode"


@dataclass(frozen=True, slots=True, kw_only=True)
class Traced(Event):
    topic: ClassVar[str] = "test.trace"


@pytest.fixture
def worker(db: Database, job_registry: JobRegistry) -> Worker:
    order_jobs.register(job_registry)
    return Worker(db, SETTINGS, job_registry, name="test-worker")


@pytest.fixture
def seen(job_registry: JobRegistry) -> list[tuple[Probe, JobRun]]:
    calls: list[tuple[Probe, JobRun]] = []
    job_registry.handle(Probe, lambda _db, event, run: calls.append((event, run)))
    return calls


def _add(db: Database, event: Event, *, delay: timedelta | None = None) -> str:
    with db.uow() as uow:
        now = uow.clock.now()
        message_id = outbox.add(uow, event, not_before=now + delay if delay else None)
        uow.commit()
    return message_id


def _probe(db: Database, tenant: TenantKeys, *, delay: timedelta | None = None) -> str:
    return _add(db, Probe(tenant_id=tenant.tenant_id, n=1), delay=delay)


def test_a_message_is_run_once_with_its_decoded_event_and_marked_done(
    db: Database, tenant: TenantKeys, worker: Worker, seen: list[tuple[Probe, JobRun]]
) -> None:
    message_id = _probe(db, tenant)
    assert worker.run_once() == 1
    assert worker.run_once() == 0
    assert seen == [
        (Probe(tenant_id=tenant.tenant_id, n=1), JobRun(message_id, Probe.topic, 1, False))
    ]
    assert jobs.list_jobs(db, tenant_id=tenant.tenant_id)[0].status == "done"


def test_a_scheduled_message_waits_for_its_time(
    db: Database,
    tenant: TenantKeys,
    worker: Worker,
    seen: list[tuple[Probe, JobRun]],
    clock: ManualClock,
) -> None:
    _probe(db, tenant, delay=timedelta(minutes=5))
    assert worker.run_once() == 0
    clock.advance(timedelta(minutes=5))
    assert worker.run_once() == 1


def test_a_failing_job_is_retried_with_backoff_then_dead_lettered_and_can_be_retried(
    db: Database,
    tenant: TenantKeys,
    worker: Worker,
    job_registry: JobRegistry,
    clock: ManualClock,
) -> None:
    runs: list[JobRun] = []

    def explode(_db: Database, _event: Exploded, run: JobRun) -> None:
        runs.append(run)
        raise ValueError("gateway said no")

    job_registry.handle(Exploded, explode)
    message_id = _add(db, Exploded(tenant_id=tenant.tenant_id))
    assert worker.run_once() == 1
    info = jobs.list_jobs(db, tenant_id=tenant.tenant_id)[0]
    assert (info.status, info.attempts) == ("pending", 1)
    assert "gateway said no" in (info.last_error or "")
    assert timedelta(seconds=5) <= info.available_at - clock.now() <= timedelta(seconds=15)
    assert worker.run_once() == 0  # not due yet
    for _ in range(2):
        clock.advance(timedelta(hours=1))
        worker.run_once()
    assert jobs.list_jobs(db, tenant_id=tenant.tenant_id, status="dead")[0].id == message_id
    assert [(run.attempts, run.is_last_attempt) for run in runs] == [
        (1, False),
        (2, False),
        (3, True),
    ]
    retried = jobs.retry_job(db, tenant_id=tenant.tenant_id, job_id=message_id)
    assert (retried.status, retried.attempts) == ("pending", 0)
    with pytest.raises(Conflict):
        jobs.retry_job(db, tenant_id=tenant.tenant_id, job_id=message_id)


def test_a_job_whose_worker_died_is_claimed_again_after_its_lease(
    db: Database,
    tenant: TenantKeys,
    job_registry: JobRegistry,
    seen: list[tuple[Probe, JobRun]],
    clock: ManualClock,
) -> None:
    _probe(db, tenant)
    dead_worker = Worker(db, SETTINGS, job_registry, name="crashed")
    claimed = dead_worker._claim()  # claims, then "crashes" before running
    assert len(claimed) == 1
    survivor = Worker(db, SETTINGS, job_registry, name="survivor")
    assert survivor.run_once() == 0
    clock.advance(timedelta(minutes=6))
    assert survivor.run_once() == 1 and len(seen) == 1


def test_the_job_continues_the_trace_of_the_request_that_queued_it(
    db: Database, tenant: TenantKeys, worker: Worker, job_registry: JobRegistry
) -> None:
    traces: list[str | None] = []

    def remember(_db: Database, _event: Traced, _run: JobRun) -> None:
        trace = current_trace()
        traces.append(trace.trace_id if trace else None)

    job_registry.handle(Traced, remember)
    request_trace = new_trace()
    with traced(request_trace):
        _add(db, Traced(tenant_id=tenant.tenant_id))
    worker.run_once()
    assert traces == [request_trace.trace_id]


def test_the_payment_timeout_job_makes_the_cancellation_durable_at_the_deadline(
    db: Database, tenant: TenantKeys, worker: Worker, clock: ManualClock
) -> None:
    order = service.place_order(db, tenant.actor(), order_create()).order
    worker.run_once()  # order.created only; the timeout is not due
    assert queries.get_order(db, tenant.tenant_id, order.id).version == 1
    clock.advance(timedelta(minutes=15))
    worker.run_once()
    durable = queries.get_order(db, tenant.tenant_id, order.id)
    assert (durable.status, durable.timeout_pending, durable.version) == (
        OrderStatus.CANCELLED,
        False,
        2,
    )


def test_the_payment_timeout_job_leaves_a_paid_order_alone(
    db: Database, tenant: TenantKeys, worker: Worker, clock: ManualClock
) -> None:
    from oms.orders.schemas import OrderEventIn

    order = service.place_order(db, tenant.actor(), order_create()).order
    service.apply_event(db, tenant.actor(), order.id, OrderEventIn(event="pay"))  # type: ignore[arg-type]
    clock.advance(timedelta(minutes=16))
    worker.run_once()
    assert queries.get_order(db, tenant.tenant_id, order.id).status == OrderStatus.PAID


def _corrupt(db: Database, message_id: str, payload: dict[str, object]) -> None:
    """Overwrite a stored payload, as an old release or a hand edit might have left it."""
    with db.uow() as uow:
        uow.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id).values(payload=payload)
        )
        uow.commit()


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ({"n": 1, "colour": "red"}, "unknown field(s) colour"),
        ({"n": "one"}, "n: Input should be a valid integer"),
    ],
)
def test_a_payload_that_does_not_decode_goes_to_dead_letter_at_once_with_its_reason(
    db: Database,
    tenant: TenantKeys,
    worker: Worker,
    seen: list[tuple[Probe, JobRun]],
    payload: dict[str, object],
    problem: str,
) -> None:
    message_id = _probe(db, tenant)
    _corrupt(db, message_id, payload)
    assert worker.run_once() == 1
    (info,) = jobs.list_jobs(db, tenant_id=tenant.tenant_id)
    assert (info.id, info.status, info.attempts) == (message_id, "dead", 1)  # no retry loop
    assert info.last_error is not None and info.last_error.startswith("UndecodableEvent: Probe")
    assert problem in info.last_error
    assert seen == []  # the handler never saw it
    assert worker.run_once() == 0


def test_a_message_without_consumers_is_done_whatever_its_payload(
    db: Database, tenant: TenantKeys, worker: Worker
) -> None:
    message_id = _probe(db, tenant)  # nothing handles test.probe in this registry
    _corrupt(db, message_id, {"anything": True})
    assert worker.run_once() == 1
    assert jobs.list_jobs(db, tenant_id=tenant.tenant_id)[0].status == "done"


def test_two_registries_are_independent_and_a_worker_runs_only_its_own(
    db: Database, tenant: TenantKeys
) -> None:
    ran: list[str] = []
    mine, other = JobRegistry(), JobRegistry()
    mine.handle(Probe, lambda _db, _event, _run: ran.append("mine"))
    assert mine.event_type(Probe.topic) is Probe
    assert other.event_type(Probe.topic) is None and other.consumers(Probe.topic) == []
    _probe(db, tenant)
    assert Worker(db, SETTINGS, other, name="other").run_once() == 1
    assert ran == []  # done by a worker that does not handle it: nothing ran
    _probe(db, tenant)
    assert Worker(db, SETTINGS, mine, name="mine").run_once() == 1
    assert ran == ["mine"]
