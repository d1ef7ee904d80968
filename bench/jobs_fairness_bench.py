"""Fair claims benchmark: how long tenant B waits behind tenant A's backlog, fair vs plain FIFO.

Run ``python -m bench.jobs_fairness_bench`` from the project root (PostgreSQL at
``OMS_BENCH_POSTGRES_URL``, default the test server). Tenant A has ``--backlog`` pending jobs
(default 100,000, the issue's import); one second later tenant B gets a two-step chain like a
payment: a confirmation job that queues a webhook job. ``--workers`` worker threads then run
the queue, once with the job runner's fair claims (``core.claims``) and once with the plain
FIFO claim it replaced (oldest ``available_at`` first, ``SKIP LOCKED``), on a fresh copy of the
same queue. Printed per run: seconds until B's webhook job is done, A's jobs still waiting
then, and the ratio FIFO / fair. Nothing fails on speed.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

from sqlalchemy import and_, func, insert, or_, select

from bench.databases import fresh_postgres
from oms.config import Settings
from oms.core import outbox
from oms.core.auth import create_tenant
from oms.core.clock import ManualClock
from oms.core.db import make_engine
from oms.core.ids import new_id
from oms.core.job_states import MESSAGE_MACHINE, MessageStatus
from oms.core.jobs import Job, JobRegistry, JobRun, Worker
from oms.core.logging import configure_logging
from oms.core.models import OutboxMessage
from oms.core.outbox import Event
from oms.core.uow import Database

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DATABASE = "oms_bench_fairness"


@dataclass(frozen=True, slots=True, kw_only=True)
class Imported(Event):
    """One job of A's backlog (an imported order's follow-up work)."""

    topic: ClassVar[str] = "bench.imported"
    n: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Confirm(Event):
    """B's payment confirmation: its handler queues B's webhook."""

    topic: ClassVar[str] = "bench.confirm"


@dataclass(frozen=True, slots=True, kw_only=True)
class Notify(Event):
    """B's webhook delivery: when it is done, B is served."""

    topic: ClassVar[str] = "bench.notify"


class FifoWorker(Worker):
    """The job runner with the claim it had before fair claims: oldest due first."""

    def _claim(self) -> list[Job]:
        with self.db.uow() as uow:
            now = uow.clock.now()
            due = or_(
                and_(
                    OutboxMessage.status == MessageStatus.PENDING,
                    OutboxMessage.available_at <= now,
                ),
                and_(
                    OutboxMessage.status == MessageStatus.RUNNING,
                    OutboxMessage.locked_until < now,
                ),
            )
            stmt = (
                select(OutboxMessage)
                .where(due)
                .order_by(OutboxMessage.available_at)
                .limit(self.settings.worker_batch_size)
                .with_for_update(skip_locked=True)
            )
            rows = list(uow.session.scalars(stmt))
            for row in rows:
                MESSAGE_MACHINE.transition(row, to=MessageStatus.RUNNING, now=now)
                row.locked_until = now + self.lease
                row.locked_by = self.name
                row.attempts += 1
            jobs = [
                Job(r.id, r.tenant_id, r.topic, dict(r.payload), r.attempts, r.traceparent)
                for r in rows
            ]
            uow.commit()
        return jobs


@dataclass(frozen=True, slots=True)
class Result:
    claim: str
    seconds: float
    backlog_left: int


def _backlog(db: Database, tenant_id: str, count: int) -> None:
    now = db.clock.now()
    rows = [
        dict(
            tenant_id=tenant_id,
            id=new_id(),
            topic=Imported.topic,
            payload={"n": n},
            status=MessageStatus.PENDING,
            attempts=0,
            available_at=now,
            created_at=now,
        )
        for n in range(count)
    ]
    for start in range(0, count, 5000):
        with db.uow() as uow:
            uow.session.execute(insert(OutboxMessage), rows[start : start + 5000])
            uow.commit()


def _left(db: Database, tenant_id: str) -> int:
    with db.reader() as session:
        stmt = select(func.count()).where(
            OutboxMessage.tenant_id == tenant_id, OutboxMessage.status != MessageStatus.DONE
        )
        return int(session.scalar(stmt) or 0)


def _registry(served: threading.Event) -> JobRegistry:
    registry = JobRegistry()
    registry.handle(Imported, lambda _db, _event, _run: None)

    def confirm(db: Database, event: Confirm, _run: JobRun) -> None:
        with db.uow() as uow:
            outbox.add(uow, Notify(tenant_id=event.tenant_id))
            uow.commit()

    registry.handle(Confirm, confirm)
    registry.handle(Notify, lambda _db, _event, _run: served.set())
    return registry


def run(claim: str, server_url: str, *, backlog: int, workers: int) -> Result:
    """One run on a fresh database: A's backlog, then B's chain, then the workers."""
    engine = make_engine(fresh_postgres(server_url, DATABASE), pool_size=workers + 4)
    clock = ManualClock()
    db = Database(engine, clock)
    try:
        a = create_tenant(db, name="Import Shop").tenant_id
        b = create_tenant(db, name="Small Shop").tenant_id
        _backlog(db, a, backlog)
        clock.advance(timedelta(seconds=1))
        with db.uow() as uow:
            outbox.add(uow, Confirm(tenant_id=b))
            uow.commit()
        served = threading.Event()
        settings = Settings(env="test", worker_poll_seconds=0.05)
        kind = FifoWorker if claim == "fifo" else Worker
        pool = [kind(db, settings, _registry(served), name=f"{claim}-{i}") for i in range(workers)]
        stop = threading.Event()
        threads = [threading.Thread(target=w.run_forever, args=(stop,)) for w in pool]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        served.wait()
        seconds = time.perf_counter() - started
        left = _left(db, a)
        stop.set()
        for thread in threads:
            thread.join()
        return Result(claim, seconds, left)
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlog", type=int, default=100_000, help="tenant A's pending jobs")
    parser.add_argument("--workers", type=int, default=2, help="worker threads")
    args = parser.parse_args()
    configure_logging(level="WARNING")
    server = os.environ.get("OMS_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    print(f"tenant A backlog {args.backlog} jobs, {args.workers} workers, PostgreSQL")
    results = [run(c, server, backlog=args.backlog, workers=args.workers) for c in ("fair", "fifo")]
    for result in results:
        print(
            f"{result.claim:>5}: B served after {result.seconds:8.3f} s, "
            f"A still waiting {result.backlog_left}"
        )
    fair, fifo = results
    print(f"ratio fifo/fair time to B's webhook: {fifo.seconds / fair.seconds:.1f}x")


if __name__ == "__main__":
    main()
