"""The outbox job runner: due times, retries with backoff, dead letters, trace continuation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from oms.config import Settings
from oms.core import jobs, outbox
from oms.core.clock import ManualClock
from oms.core.errors import Conflict
from oms.core.jobs import Job, Worker, register_handler
from oms.core.tracing import current_trace, new_trace, traced
from oms.core.uow import Database
from oms.orders import jobs as order_jobs
from oms.orders import queries, service
from oms.orders.states import OrderStatus
from tests.fixtures.orders import order_create
from tests.fixtures.tenants import TenantKeys

SETTINGS = Settings(env="test", job_max_attempts=3, job_backoff_base_seconds=10)


@pytest.fixture
def worker(db: Database) -> Worker:
    order_jobs.register()
    return Worker(db, SETTINGS, name="test-worker")


@pytest.fixture
def seen() -> list[Job]:
    calls: list[Job] = []
    register_handler("test.record", lambda _db, job: calls.append(job))
    return calls


def _enqueue(
    db: Database, tenant: TenantKeys, topic: str, *, delay: timedelta | None = None
) -> str:
    with db.uow() as uow:
        now = uow.clock.now()
        message_id = outbox.enqueue(
            uow.session,
            tenant_id=tenant.tenant_id,
            topic=topic,
            payload={"n": 1},
            now=now,
            available_at=now + delay if delay else None,
        )
        uow.commit()
    return message_id


def test_a_message_is_run_once_and_marked_done(
    db: Database, tenant: TenantKeys, worker: Worker, seen: list[Job]
) -> None:
    message_id = _enqueue(db, tenant, "test.record")
    assert worker.run_once() == 1
    assert worker.run_once() == 0
    assert [job.id for job in seen] == [message_id]
    assert jobs.list_jobs(db, tenant_id=tenant.tenant_id)[0].status == "done"


def test_a_scheduled_message_waits_for_its_time(
    db: Database, tenant: TenantKeys, worker: Worker, seen: list[Job], clock: ManualClock
) -> None:
    _enqueue(db, tenant, "test.record", delay=timedelta(minutes=5))
    assert worker.run_once() == 0
    clock.advance(timedelta(minutes=5))
    assert worker.run_once() == 1


def test_a_failing_job_is_retried_with_backoff_then_dead_lettered_and_can_be_retried(
    db: Database, tenant: TenantKeys, worker: Worker, clock: ManualClock
) -> None:
    def explode(_db: Database, _job: Job) -> None:
        raise ValueError("gateway said no")

    register_handler("test.explode", explode)
    message_id = _enqueue(db, tenant, "test.explode")
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
    retried = jobs.retry_job(db, tenant_id=tenant.tenant_id, job_id=message_id)
    assert (retried.status, retried.attempts) == ("pending", 0)
    with pytest.raises(Conflict):
        jobs.retry_job(db, tenant_id=tenant.tenant_id, job_id=message_id)


def test_a_job_whose_worker_died_is_claimed_again_after_its_lease(
    db: Database, tenant: TenantKeys, seen: list[Job], clock: ManualClock
) -> None:
    _enqueue(db, tenant, "test.record")
    dead_worker = Worker(db, SETTINGS, name="crashed")
    claimed = dead_worker._claim()  # claims, then "crashes" before running
    assert len(claimed) == 1
    survivor = Worker(db, SETTINGS, name="survivor")
    assert survivor.run_once() == 0
    clock.advance(timedelta(minutes=6))
    assert survivor.run_once() == 1 and len(seen) == 1


def test_the_job_continues_the_trace_of_the_request_that_queued_it(
    db: Database, tenant: TenantKeys, worker: Worker
) -> None:
    traces: list[str | None] = []

    def remember(_db: Database, _job: Job) -> None:
        trace = current_trace()
        traces.append(trace.trace_id if trace else None)

    register_handler("test.trace", remember)
    request_trace = new_trace()
    with traced(request_trace):
        _enqueue(db, tenant, "test.trace")
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
