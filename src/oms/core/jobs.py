"""The job runner: claims due outbox messages, runs their handlers, retries, dead-letters.

Claiming is a short transaction that leases a batch (``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
so any number of workers can run), shared fairly between tenants (``core.claims``); handlers
run outside it and open their own unit of work. Delivery is at least once, so handlers are
idempotent: the message id is their key.

What runs is a ``JobRegistry`` the application builds (``oms.jobs_wiring.build_registry``)
and hands to each ``Worker``; nothing here is module state, so two registries (two tests)
never see each other's handlers.
"""

from __future__ import annotations

import os
import random
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, TypeVar

import structlog
from sqlalchemy import delete, func, select

from oms.config import Settings
from oms.core.claims import Rotation, claim_due
from oms.core.errors import Conflict, NotFound
from oms.core.job_states import MESSAGE_MACHINE, MessageStatus
from oms.core.leases import release_lease, take_lease
from oms.core.models import IdempotencyRecord, OutboxMessage, SweepLease
from oms.core.outbox import Event, UndecodableEvent
from oms.core.paging import Page, PageRequest, fetch_items
from oms.core.repo import move_all, scoped
from oms.core.shapes import project
from oms.core.tracing import new_trace, parse_traceparent, traced
from oms.core.uow import Database

__all__ = [
    "Handler",
    "Job",
    "JobInfo",
    "JobRegistry",
    "JobRun",
    "RetryAt",
    "Sweep",
    "Worker",
    "count_jobs",
    "job_page",
    "list_jobs",
    "purge_expired_idempotency_keys",
    "retry_backoff",
    "retry_job",
    "sweep_leases",
]

log = structlog.get_logger(__name__)

E = TypeVar("E", bound=Event)


@dataclass(frozen=True, slots=True)
class JobRun:
    """What a handler may know about the message besides its event: which run this is."""

    id: str  # the message id: a handler's idempotency key
    topic: str
    attempts: int
    is_last_attempt: bool  # the runner dead-letters the message if this run fails


# A handler gets the database, the decoded event and its run; what it returns is ignored.
Handler = Callable[[Database, E, JobRun], object]
Task = Callable[[Database], object]


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


@dataclass(frozen=True, slots=True)
class Sweep:
    """A periodic task: run about every ``interval_seconds``, once per cluster."""

    interval_seconds: float
    task: Task


@dataclass(frozen=True, slots=True)
class _Route:
    """Who consumes a topic: the event class its payload decodes to, the handler, and
    extra subscribers (webhook fan-out beside the domain's own handler) by name."""

    event_type: type[Event]
    handler: Handler[Any] | None
    subscribers: Mapping[str, Handler[Any]]


class JobRegistry:
    """Handlers by topic, subscribers by topic and name, and the periodic sweeps.

    Built by the application from each domain's ``register(registry)`` and passed to every
    ``Worker``. A topic has one event class, one handler and any number of subscribers;
    registering a second handler, subscriber name or sweep name raises, so two domains never
    silently take the same topic.
    """

    def __init__(self) -> None:
        self._routes: dict[str, _Route] = {}
        self._sweeps: dict[str, Sweep] = {}

    def handle(self, event_type: type[E], handler: Handler[E]) -> None:
        """Run ``handler`` for every message of ``event_type.topic``."""
        route = self._route(event_type)
        if route.handler is not None:
            raise ValueError(f"topic {event_type.topic!r} already has a handler")
        self._routes[event_type.topic] = _Route(event_type, handler, route.subscribers)

    def subscribe(self, event_type: type[E], name: str, handler: Handler[E]) -> None:
        """Also run ``handler`` for every message of the topic, after its main handler.

        Subscribers run in the same attempt as the handler, so a failure retries them all:
        each must be idempotent on the message id.
        """
        route = self._route(event_type)
        if name in route.subscribers:
            raise ValueError(f"topic {event_type.topic!r} already has subscriber {name!r}")
        subscribers = MappingProxyType({**route.subscribers, name: handler})
        self._routes[event_type.topic] = _Route(event_type, route.handler, subscribers)

    def every(self, name: str, interval_seconds: float, task: Task) -> None:
        """Run ``task`` about every ``interval_seconds``, by one worker of the cluster."""
        if name in self._sweeps:
            raise ValueError(f"sweep {name!r} is already registered")
        self._sweeps[name] = Sweep(interval_seconds, task)

    def _route(self, event_type: type[Event]) -> _Route:
        route = self._routes.get(event_type.topic)
        if route is None:
            return _Route(event_type, None, MappingProxyType({}))
        if route.event_type is not event_type:
            raise ValueError(
                f"topic {event_type.topic!r} decodes as {route.event_type.__name__}, "
                f"not {event_type.__name__}"
            )
        return route

    def event_type(self, topic: str) -> type[Event] | None:
        """The class ``topic``'s payload decodes to, if anything consumes the topic."""
        route = self._routes.get(topic)
        return route.event_type if route else None

    def consumers(self, topic: str) -> list[Handler[Any]]:
        """The handler, then the subscribers, of ``topic`` (none: the message is just done)."""
        route = self._routes.get(topic)
        if route is None:
            return []
        return [*([route.handler] if route.handler else []), *route.subscribers.values()]

    @property
    def handlers(self) -> Mapping[str, Handler[Any]]:
        """Each handled topic's handler."""
        return {t: r.handler for t, r in sorted(self._routes.items()) if r.handler is not None}

    @property
    def subscribers(self) -> Mapping[str, Mapping[str, Handler[Any]]]:
        """Each topic's subscribers by name."""
        return {t: r.subscribers for t, r in sorted(self._routes.items()) if r.subscribers}

    @property
    def sweeps(self) -> Mapping[str, Sweep]:
        """The periodic sweeps by name."""
        return MappingProxyType(self._sweeps)


class RetryAt(Exception):
    """Raised by a handler that keeps its own retry schedule (webhook deliveries).

    The message goes back to pending, due at ``when``, whatever ``OMS_JOB_MAX_ATTEMPTS`` says:
    the handler owns the budget and stops raising when it is spent.
    """

    def __init__(self, when: datetime, reason: str) -> None:
        super().__init__(reason)
        self.when = when


def retry_backoff(attempts: int, settings: Settings) -> timedelta:
    """Exponential backoff with full jitter (±50 %), capped."""
    base = settings.job_backoff_base_seconds * (2 ** max(attempts - 1, 0))
    delay = min(base, settings.job_backoff_cap_seconds) * random.uniform(0.5, 1.5)
    return timedelta(seconds=delay)


class Worker:
    """One job runner; ``oms worker`` runs it in the foreground, ``oms serve`` in a thread."""

    def __init__(
        self, db: Database, settings: Settings, registry: JobRegistry, *, name: str | None = None
    ) -> None:
        self.db = db
        self.settings = settings
        self.registry = registry
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.lease = timedelta(minutes=5)
        # When this worker next asks the database whether a sweep is due (a local timer, so
        # an idle worker does not write a lease row on every poll).
        self._next_check: dict[str, datetime] = {}
        # Where this worker's round-robin over tenants stands (core.claims).
        self._rotation = Rotation()

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
            rows = claim_due(
                uow.session,
                now=now,
                limit=self.settings.worker_batch_size,
                rotation=self._rotation,
                is_postgres=uow.is_postgres,
            )
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

    def _run(self, job: Job) -> None:
        trace = parse_traceparent(job.traceparent) or new_trace()
        with traced(trace):
            consumers = self.registry.consumers(job.topic)
            try:
                event = self._decode(job) if consumers else None
            except UndecodableEvent as exc:
                # Retrying cannot make a payload decode: dead-letter it now, visibly.
                log.error("job.undecodable", job_id=job.id, topic=job.topic, error=str(exc))
                self._finish(job, error=f"UndecodableEvent: {exc}", is_poison=True)
                return
            run = JobRun(
                job.id, job.topic, job.attempts, job.attempts >= self.settings.job_max_attempts
            )
            try:
                for consume in consumers:
                    consume(self.db, event, run)
            except RetryAt as retry:
                self._finish(job, error=f"RetryAt: {retry}", retry_at=retry.when)
                return
            except Exception as exc:
                log.warning("job.failed", job_id=job.id, topic=job.topic, error=repr(exc))
                self._finish(job, error=f"{type(exc).__name__}: {exc}")
                return
            self._finish(job, error=None)
            log.debug("job.done", job_id=job.id, topic=job.topic)

    def _decode(self, job: Job) -> Event:
        event_type = self.registry.event_type(job.topic)
        assert event_type is not None  # a topic with consumers has its class
        return event_type.from_payload(job.tenant_id, job.payload)

    def _finish(
        self,
        job: Job,
        *,
        error: str | None,
        retry_at: datetime | None = None,
        is_poison: bool = False,
    ) -> None:
        with self.db.uow() as uow:
            now = uow.clock.now()
            to, values = self._outcome(job, error, retry_at, now, is_poison=is_poison)
            values |= {"locked_until": None, "locked_by": None}
            # Only while this worker still holds the lease (and the row is running).
            mine = (
                OutboxMessage.tenant_id == job.tenant_id,
                OutboxMessage.id == job.id,
                OutboxMessage.locked_by == self.name,
            )
            move_all(uow.session, OutboxMessage, MESSAGE_MACHINE, to, *mine, now=now, also=values)
            uow.commit()

    def _outcome(
        self,
        job: Job,
        error: str | None,
        retry_at: datetime | None,
        now: datetime,
        *,
        is_poison: bool,
    ) -> tuple[MessageStatus, dict[str, Any]]:
        """Where a run leaves its message, and the columns beside the status it writes.

        A poison message (a payload its event class cannot decode) is dead at once: retrying
        cannot make it decode."""
        if error is None:
            return MessageStatus.DONE, {"last_error": None}
        failed = {"last_error": error[:4000]}
        if retry_at is not None:
            return MessageStatus.PENDING, failed | {"available_at": retry_at}
        if is_poison or job.attempts >= self.settings.job_max_attempts:
            return MessageStatus.DEAD, failed
        delay = retry_backoff(job.attempts, self.settings)
        return MessageStatus.PENDING, failed | {"available_at": now + delay}

    def _run_periodic(self) -> None:
        now = self.db.clock.now()
        for name, sweep in list(self.registry.sweeps.items()):
            interval = sweep.interval_seconds
            if now < self._next_check.get(name, now):
                continue
            self._next_check[name] = now + _check_interval(interval)
            if not self._take_sweep(name, interval):
                continue
            try:
                sweep.task(self.db)
            except Exception:
                log.exception("worker.periodic_failed", task=name)
            finally:
                self._release_sweep(name)

    def _take_sweep(self, name: str, interval: float) -> bool:
        """Lease sweep ``name`` if no one holds it and its interval has passed since it last
        started anywhere in the cluster."""
        return take_lease(
            self.db,
            name,
            self.name,
            duration=_sweep_lease(interval),
            not_started_within=timedelta(seconds=interval),
        )

    def _release_sweep(self, name: str) -> None:
        release_lease(self.db, name, self.name)


def _check_interval(interval: float) -> timedelta:
    """How often a worker asks about a sweep: a quarter of its interval, at least a second."""
    return timedelta(seconds=min(interval, max(1.0, interval / 4)))


def _sweep_lease(interval: float) -> timedelta:
    """How long a sweep may run before another worker presumes its holder dead."""
    return timedelta(seconds=max(300.0, 5 * interval))


def sweep_leases(db: Database) -> list[dict[str, Any]]:
    """Every sweep's lease row, for operators (``oms jobs sweeps``)."""
    with db.reader() as session:
        rows = session.scalars(select(SweepLease).order_by(SweepLease.name))
        return [
            {
                "name": row.name,
                "holder": row.holder,
                "leased_until": row.leased_until,
                "last_started_at": row.last_started_at,
                "last_finished_at": row.last_finished_at,
                "runs": row.runs,
            }
            for row in rows
        ]


def purge_expired_idempotency_keys(db: Database) -> None:
    """Forget Idempotency-Key answers older than their 24 h."""
    with db.uow() as uow:
        uow.session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.expires_at < uow.clock.now())
        )
        uow.commit()


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


def job_page(
    db: Database, *, tenant_id: str, status: str | None = None, page: PageRequest = PageRequest()
) -> Page[JobInfo]:
    """One page of the tenant's messages newest first, optionally of one status (``dead``)."""
    stmt = scoped(OutboxMessage, tenant_id, status=status)
    keys = (OutboxMessage.created_at, OutboxMessage.id)
    with db.list_reader() as session:
        return fetch_items(session, stmt, keys, page, _info, scope="jobs", descending=True)


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
        now = uow.clock.now()
        MESSAGE_MACHINE.transition(row, to=MessageStatus.PENDING, now=now)
        row.attempts = 0
        row.available_at = now
        uow.commit()
        return _info(row)


def _info(row: OutboxMessage) -> JobInfo:
    return project(JobInfo, row, payload=dict(row.payload))
