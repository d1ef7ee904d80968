"""The job runner: claims due outbox messages, runs their handlers, retries, dead-letters.

Claiming is a short transaction that leases a batch (``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
so any number of workers can run); handlers run outside it and open their own unit of work.
Delivery is at least once, so handlers are idempotent: the message id is their key.
"""

from __future__ import annotations

import os
import random
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import and_, delete, func, or_, select, update

from oms.config import Settings
from oms.core.errors import Conflict, NotFound
from oms.core.models import IdempotencyRecord, OutboxMessage
from oms.core.outbox import MessageStatus
from oms.core.tracing import new_trace, parse_traceparent, traced
from oms.core.uow import Database

__all__ = [
    "Job",
    "JobInfo",
    "RetryAt",
    "Worker",
    "count_jobs",
    "list_jobs",
    "purge_expired_idempotency_keys",
    "register_handler",
    "register_periodic",
    "register_subscriber",
    "retry_backoff",
    "retry_job",
]

log = structlog.get_logger(__name__)

Handler = Callable[[Database, "Job"], None]
_HANDLERS: dict[str, Handler] = {}
# Extra consumers of a topic (webhook fan-out beside the domain's own handler), by name.
_SUBSCRIBERS: dict[str, dict[str, Handler]] = {}
# Sweeps every worker runs on an interval (seconds). Correctness never depends on them:
# they make durable what the read and write paths already treat as done.
_PERIODIC: dict[str, tuple[float, Callable[[Database], object]]] = {}


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed message, detached from the session that claimed it."""

    id: str
    tenant_id: str
    topic: str
    payload: dict[str, Any]
    attempts: int
    traceparent: str | None


@dataclass(frozen=True, slots=True)
class JobInfo:
    """A message as the jobs page and CLI show it."""

    id: str
    tenant_id: str
    topic: str
    status: str
    attempts: int
    available_at: datetime
    created_at: datetime
    processed_at: datetime | None
    last_error: str | None
    payload: dict[str, Any]


def register_handler(topic: str, handler: Handler) -> None:
    """Run ``handler`` for every message of ``topic``."""
    _HANDLERS[topic] = handler


def register_subscriber(topic: str, name: str, handler: Handler) -> None:
    """Also run ``handler`` for every message of ``topic``, after its main handler.

    Subscribers run in the same attempt as the handler, so a failure retries them all: each
    must be idempotent on the message id. Registering a name again replaces it.
    """
    _SUBSCRIBERS.setdefault(topic, {})[name] = handler


class RetryAt(Exception):
    """Raised by a handler that keeps its own retry schedule (webhook deliveries).

    The message goes back to pending, due at ``when``, whatever ``OMS_JOB_MAX_ATTEMPTS`` says:
    the handler owns the budget and stops raising when it is spent.
    """

    def __init__(self, when: datetime, reason: str) -> None:
        super().__init__(reason)
        self.when = when


def register_periodic(
    name: str, interval_seconds: float, task: Callable[[Database], object]
) -> None:
    """Run ``task`` from every worker about every ``interval_seconds``."""
    _PERIODIC[name] = (interval_seconds, task)


def retry_backoff(attempts: int, settings: Settings) -> timedelta:
    """Exponential backoff with full jitter (±50 %), capped."""
    base = settings.job_backoff_base_seconds * (2 ** max(attempts - 1, 0))
    delay = min(base, settings.job_backoff_cap_seconds) * random.uniform(0.5, 1.5)
    return timedelta(seconds=delay)


class Worker:
    """One job runner; ``oms worker`` runs it in the foreground, ``oms serve`` in a thread."""

    def __init__(self, db: Database, settings: Settings, *, name: str | None = None) -> None:
        self.db = db
        self.settings = settings
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.lease = timedelta(minutes=5)
        self._last_run: dict[str, datetime] = {}

    def run_forever(self, stop: threading.Event) -> None:
        """Process jobs until ``stop`` is set; sleep when there is nothing due."""
        log.info("worker.started", worker=self.name)
        while not stop.is_set():
            try:
                processed = self.run_once()
            except Exception:
                log.exception("worker.loop_failed", worker=self.name)
                processed = 0
            if processed == 0:
                stop.wait(self.settings.worker_poll_seconds)
        log.info("worker.stopped", worker=self.name)

    def run_once(self) -> int:
        """Claim one batch of due messages and run them; return how many were run."""
        self._run_periodic()
        jobs = self._claim()
        for job in jobs:
            self._run(job)
        return len(jobs)

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
            )
            if uow.is_postgres:
                stmt = stmt.with_for_update(skip_locked=True)
            rows = list(uow.session.scalars(stmt))
            for row in rows:
                row.status = MessageStatus.RUNNING
                row.locked_until = now + self.lease
                row.locked_by = self.name
                row.attempts += 1
            jobs = [
                Job(r.id, r.tenant_id, r.topic, dict(r.payload), r.attempts, r.traceparent)
                for r in rows
            ]
            uow.commit()
        return jobs

    def _run(self, job: Job) -> None:
        trace = parse_traceparent(job.traceparent) or new_trace()
        with traced(trace):
            handler = _HANDLERS.get(job.topic)
            try:
                if handler is not None:
                    handler(self.db, job)
                for subscriber in list(_SUBSCRIBERS.get(job.topic, {}).values()):
                    subscriber(self.db, job)
            except RetryAt as retry:
                self._finish(job, error=f"RetryAt: {retry}", retry_at=retry.when)
                return
            except Exception as exc:
                log.warning("job.failed", job_id=job.id, topic=job.topic, error=repr(exc))
                self._finish(job, error=f"{type(exc).__name__}: {exc}")
                return
            self._finish(job, error=None)
            log.debug("job.done", job_id=job.id, topic=job.topic)

    def _finish(self, job: Job, *, error: str | None, retry_at: datetime | None = None) -> None:
        with self.db.uow() as uow:
            now = uow.clock.now()
            values: dict[str, Any] = {"locked_until": None, "locked_by": None}
            if error is not None and retry_at is not None:
                values |= {"status": MessageStatus.PENDING, "available_at": retry_at}
                values |= {"last_error": error[:4000]}
            elif error is None:
                values |= {"status": MessageStatus.DONE, "processed_at": now, "last_error": None}
            elif job.attempts >= self.settings.job_max_attempts:
                values |= {"status": MessageStatus.DEAD, "last_error": error[:4000]}
            else:
                delay = retry_backoff(job.attempts, self.settings)
                values |= {
                    "status": MessageStatus.PENDING,
                    "available_at": now + delay,
                    "last_error": error[:4000],
                }
            uow.session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.tenant_id == job.tenant_id,
                    OutboxMessage.id == job.id,
                    OutboxMessage.locked_by == self.name,
                )
                .values(**values)
            )
            uow.commit()

    def _run_periodic(self) -> None:
        now = self.db.clock.now()
        for name, (interval, task) in list(_PERIODIC.items()):
            last = self._last_run.get(name)
            if last is not None and now - last < timedelta(seconds=interval):
                continue
            self._last_run[name] = now
            try:
                task(self.db)
            except Exception:
                log.exception("worker.periodic_failed", task=name)


def purge_expired_idempotency_keys(db: Database) -> None:
    """Forget Idempotency-Key answers older than their 24 h."""
    with db.uow() as uow:
        uow.session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.expires_at < uow.clock.now())
        )
        uow.commit()


register_periodic("idempotency-purge", 600, purge_expired_idempotency_keys)


def list_jobs(
    db: Database, *, tenant_id: str | None, status: str | None = None, limit: int = 100
) -> list[JobInfo]:
    """Messages newest first, optionally of one tenant and one status (e.g. ``dead``)."""
    stmt = select(OutboxMessage).order_by(OutboxMessage.created_at.desc()).limit(limit)
    if tenant_id is not None:
        stmt = stmt.where(OutboxMessage.tenant_id == tenant_id)
    if status is not None:
        stmt = stmt.where(OutboxMessage.status == status)
    with db.reader() as session:
        return [_info(row) for row in session.scalars(stmt)]


def count_jobs(db: Database, *, tenant_id: str | None) -> dict[str, int]:
    """How many messages sit in each status (the backlog), optionally of one tenant."""
    stmt = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    if tenant_id is not None:
        stmt = stmt.where(OutboxMessage.tenant_id == tenant_id)
    with db.reader() as session:
        return {str(status): int(count) for status, count in session.execute(stmt)}


def retry_job(db: Database, *, tenant_id: str, job_id: str) -> JobInfo:
    """Put a dead message back in the queue, due now, with its attempts reset.

    Raises: ERR_NOT_FOUND, ERR_CONFLICT (the message is not dead).
    """
    with db.uow() as uow:
        row = uow.session.get(OutboxMessage, (tenant_id, job_id))
        if row is None:
            raise NotFound("no such job", job_id=job_id)
        if row.status != MessageStatus.DEAD:
            raise Conflict("only dead jobs can be retried", status=row.status)
        row.status = MessageStatus.PENDING
        row.attempts = 0
        row.available_at = uow.clock.now()
        uow.commit()
        return _info(row)


def _info(row: OutboxMessage) -> JobInfo:
    return JobInfo(
        id=row.id,
        tenant_id=row.tenant_id,
        topic=row.topic,
        status=row.status,
        attempts=row.attempts,
        available_at=row.available_at,
        created_at=row.created_at,
        processed_at=row.processed_at,
        last_error=row.last_error,
        payload=dict(row.payload),
    )
