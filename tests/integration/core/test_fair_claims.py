"""Fair claims on SQLite and PostgreSQL: one tenant's backlog never sits in front of another's
messages, and a lapsed lease is still claimed again."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

from sqlalchemy import update

from oms.config import Settings
from oms.core import outbox
from oms.core.clock import ManualClock
from oms.core.jobs import JobRegistry, JobRun, Worker
from oms.core.models import OutboxMessage
from oms.core.uow import Database
from tests.fixtures.jobs import Probe
from tests.fixtures.tenants import make_tenant

SETTINGS = Settings(env="test", worker_batch_size=10)


def _enqueue(db: Database, tenant_id: str, count: int) -> list[str]:
    with db.uow() as uow:
        ids = [outbox.add(uow, Probe(tenant_id=tenant_id, n=n)) for n in range(count)]
        uow.commit()
    return ids


def _recording_worker(db: Database, registry: JobRegistry, runs: list[tuple[str, int]]) -> Worker:
    registry.handle(Probe, lambda _db, event, _run: runs.append((event.tenant_id, event.n)))
    return Worker(db, SETTINGS, registry, name="fair-worker")


def test_a_tenant_behind_a_backlog_is_served_in_the_first_claim(
    db: Database, clock: ManualClock, job_registry: JobRegistry
) -> None:
    a = make_tenant(db, "Backlog Shop", stocked=False).tenant_id
    b = make_tenant(db, "Small Shop", stocked=False).tenant_id
    _enqueue(db, a, 200)
    clock.advance(timedelta(seconds=1))  # FIFO would run all of A's first
    _enqueue(db, b, 3)
    runs: list[tuple[str, int]] = []
    worker = _recording_worker(db, job_registry, runs)

    assert worker.run_once() == 10
    assert sorted(n for tenant, n in runs if tenant == b) == [0, 1, 2]
    # One of each in turn while both have work, so B's are among the first to run.
    first = [tenant for tenant, _ in runs[:6]]
    assert first.count(b) == 3 and all(x != y for x, y in pairwise(first))
    # A alone fills the whole batch again, oldest first.
    runs.clear()
    assert worker.run_once() == 10
    assert [tenant for tenant, _ in runs] == [a] * 10
    assert [n for _, n in runs] == sorted(n for _, n in runs)


def test_a_lapsed_lease_is_claimed_again_before_new_work(
    db: Database, clock: ManualClock, job_registry: JobRegistry
) -> None:
    a = make_tenant(db, "Backlog Shop", stocked=False).tenant_id
    [crashed, *_rest] = _enqueue(db, a, 30)
    with db.uow() as uow:
        uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == crashed)
            .values(status="running", locked_by="dead-worker", locked_until=clock.now())
        )
        uow.commit()
    clock.advance(timedelta(seconds=1))
    seen: list[JobRun] = []
    job_registry.handle(Probe, lambda _db, _event, run: seen.append(run))
    worker = Worker(db, SETTINGS, job_registry, name="fair-worker")

    assert worker.run_once() == 10
    assert seen[0].id == crashed
    assert len({run.id for run in seen}) == 10
