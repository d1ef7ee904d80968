"""Periodic sweeps run once per cluster per interval, whatever the number of workers."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from oms.config import Settings
from oms.core import jobs
from oms.core.clock import ManualClock
from oms.core.jobs import JobRegistry, Worker
from oms.core.uow import Database

SETTINGS = Settings(env="test")
INTERVAL = 60.0


class Counter:
    """A sweep that counts its runs and notices two running at once."""

    def __init__(self, hold_seconds: float = 0.0) -> None:
        self.runs: list[str] = []
        self.running = 0
        self.overlaps = 0
        self.hold_seconds = hold_seconds
        self._lock = threading.Lock()

    def __call__(self, _db: Database) -> None:
        with self._lock:
            self.running += 1
            if self.running > 1:
                self.overlaps += 1
            self.runs.append(threading.current_thread().name)
        time.sleep(self.hold_seconds)
        with self._lock:
            self.running -= 1


@pytest.fixture
def counted(job_registry: JobRegistry) -> Counter:
    counter = Counter()
    job_registry.every("test.counted", INTERVAL, counter)
    return counter


def _workers(db: Database, registry: JobRegistry, n: int = 3) -> list[Worker]:
    return [Worker(db, SETTINGS, registry, name=f"worker-{i}") for i in range(n)]


def test_three_workers_run_a_sweep_once_per_interval(
    db: Database, clock: ManualClock, counted: Counter, job_registry: JobRegistry
) -> None:
    workers = _workers(db, job_registry)
    for _ in range(10):  # 0 s, 20 s, …, 180 s: due at 0, 60, 120 and 180
        for worker in workers:
            worker.run_once()
        clock.advance(timedelta(seconds=20))
    assert len(counted.runs) == 4
    lease = next(row for row in jobs.sweep_leases(db) if row["name"] == "test.counted")
    assert lease["runs"] == 4
    assert lease["leased_until"] is None  # released after each run


def test_a_dead_holder_blocks_the_sweep_only_until_its_lease_ends(
    db: Database, clock: ManualClock, counted: Counter, job_registry: JobRegistry
) -> None:
    crashed, survivor = _workers(db, job_registry, 2)
    assert crashed._take_sweep("test.counted", INTERVAL)  # took it, then died: never released
    clock.advance(timedelta(seconds=INTERVAL * 2))
    survivor.run_once()
    assert counted.runs == []  # the lease (at least 5 minutes) still stands
    clock.advance(timedelta(minutes=5))
    survivor.run_once()
    assert len(counted.runs) == 1


@pytest.mark.postgres
def test_concurrent_workers_on_postgres_never_run_a_sweep_twice(
    pg_db: Database, clock: ManualClock, job_registry: JobRegistry
) -> None:
    counter = Counter(hold_seconds=0.05)
    job_registry.every("test.concurrent", INTERVAL, counter)
    workers = _workers(pg_db, job_registry)
    rounds = 6
    barrier = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def poll(worker: Worker) -> None:
        try:
            for _ in range(rounds):
                barrier.wait(timeout=30)
                worker.run_once()
                if barrier.wait(timeout=30) == 0:
                    clock.advance(timedelta(seconds=INTERVAL))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=poll, args=(w,), name=w.name) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(counter.runs) == rounds  # one run per interval, not one per worker
    assert counter.overlaps == 0
