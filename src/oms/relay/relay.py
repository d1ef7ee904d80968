"""``oms relay``: publish every domain event in the outbox to the broker, once, in order.

The loop: hold the lease, read the oldest batch of rows not yet passed (``relayed_at`` null,
by id: UUIDv7, taken after the change locked its aggregate, so an aggregate's events sort in
the order they happened), publish the domain events among them one after another, then mark
the rows in a new short transaction. Nothing is marked before the broker's ack, so a relay
killed in between publishes those again; the broker drops them by their message id.
Network calls are never inside a transaction: the read's session is closed before the first
publish, and the mark opens its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select, tuple_, update

from oms.config import Settings
from oms.core.db import table
from oms.core.errors import ValidationFailed
from oms.core.leases import release_lease, renew_lease, take_lease
from oms.core.models import OutboxMessage
from oms.core.uow import Database
from oms.relay.broker import Broker, JetStreamBroker
from oms.relay.messages import OutboxRow, is_domain_event, is_subject_token, to_message

__all__ = [
    "LEASE_NAME",
    "BatchResult",
    "Relay",
    "RelayLease",
    "check_names",
    "mark_relayed",
    "read_batch",
    "run_relay",
]

log = structlog.get_logger(__name__)

# The sweep_leases row that says which relay publishes (`oms jobs sweeps` shows it).
LEASE_NAME = "relay"
_MAX_BACKOFF_SECONDS = 30.0
# How long a cancelled connect gets to end before it is cancelled again (see _cancel_until_done).
_RECANCEL_SECONDS = 0.2


@dataclass(frozen=True, slots=True)
class BatchResult:
    passed: int  # rows marked relayed
    published: int  # domain events among them, acked by the broker
    duplicates: int  # of those, how many the broker already had (a re-publish)


class RelayLease:
    """One relay publishes at a time: it holds the ``relay`` lease row and renews it.

    A relay killed without releasing keeps it ``seconds`` at most; a standby then takes it.
    """

    def __init__(self, db: Database, holder: str, seconds: float) -> None:
        self.db = db
        self.holder = holder
        self.seconds = seconds
        self._until: datetime | None = None

    @property
    def held(self) -> bool:
        return self._until is not None

    def hold(self) -> bool:
        """True if this relay holds the lease now, renewing or taking it when due."""
        now = self.db.clock.now()
        if self._until is not None and now < self._until - timedelta(seconds=self.seconds) * 2 / 3:
            return True  # renewed less than a third of a lease ago
        if self._until is not None:
            self._until = now + self._duration if self._renew(now) else None
            if self._until is None:
                log.warning("relay.lease_lost", holder=self.holder)
        elif self._take(now):
            self._until = now + self._duration
            log.info("relay.lease_taken", holder=self.holder)
        return self._until is not None

    def release(self) -> None:
        """Let a standby take over at once (a clean stop)."""
        if self._until is None:
            return
        release_lease(self.db, LEASE_NAME, self.holder)
        self._until = None

    @property
    def _duration(self) -> timedelta:
        return timedelta(seconds=self.seconds)

    def _renew(self, now: datetime) -> bool:
        return renew_lease(self.db, LEASE_NAME, self.holder, duration=self._duration)

    def _take(self, now: datetime) -> bool:
        return take_lease(self.db, LEASE_NAME, self.holder, duration=self._duration)


def read_batch(db: Database, limit: int) -> list[OutboxRow]:
    """The oldest rows the relay has not passed, every tenant's, in id order."""
    stmt = (
        select(
            OutboxMessage.tenant_id,
            OutboxMessage.id,
            OutboxMessage.topic,
            OutboxMessage.payload,
            OutboxMessage.created_at,
        )
        .where(OutboxMessage.relayed_at.is_(None))
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    with db.reader() as session:
        return [
            OutboxRow(r.tenant_id, r.id, r.topic, dict(r.payload), r.created_at)
            for r in session.execute(stmt)
        ]


def mark_relayed(db: Database, keys: Sequence[tuple[str, str]]) -> None:
    """Stamp ``relayed_at`` on rows (tenant id, id); only this column, never the job status."""
    outbox = table(OutboxMessage)
    with db.uow() as uow:
        uow.session.execute(
            update(outbox)
            .where(tuple_(outbox.c.tenant_id, outbox.c.id).in_(list(keys)))
            .values(relayed_at=uow.clock.now())
        )
        uow.commit()


class Relay:
    """One relay process: standby until it holds the lease, then publishing batches."""

    def __init__(
        self,
        db: Database,
        connect: Callable[[], Awaitable[Broker]],
        *,
        subject_prefix: str,
        batch_size: int = 100,
        lease_seconds: float = 15.0,
        poll_seconds: float = 0.5,
        name: str | None = None,
    ) -> None:
        self.db = db
        self.connect = connect
        self.subject_prefix = subject_prefix
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.name = (name or f"relay:{socket.gethostname()}:{os.getpid()}")[:64]
        self.lease = RelayLease(db, self.name, lease_seconds)
        # How often a standby asks for the lease: often enough to take over soon after it
        # expires, rarely enough not to load the database.
        self.standby_seconds = min(max(lease_seconds / 5, 0.2), 5.0)

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until ``stop`` is set; the batch in flight then is finished and marked."""
        broker = await self._connect(stop)
        if broker is None:
            return
        log.info("relay.started", relay=self.name)
        backoff = 1.0
        try:
            while not stop.is_set():
                try:
                    if not await asyncio.to_thread(self.lease.hold):
                        await _pause(stop, self.standby_seconds)
                        continue
                    result = await self.relay_batch(broker)
                except Exception:
                    log.exception("relay.batch_failed", relay=self.name)
                    await _pause(stop, backoff)
                    backoff = min(backoff * 2, _MAX_BACKOFF_SECONDS)
                    continue
                backoff = 1.0
                if result.passed < self.batch_size:
                    await _pause(stop, self.poll_seconds)
        finally:
            try:
                await asyncio.to_thread(self.lease.release)
            finally:
                await broker.close()
            log.info("relay.stopped", relay=self.name)

    async def relay_batch(self, broker: Broker) -> BatchResult:
        """Publish one batch in order and mark what the broker acknowledged.

        A failed publish ends the batch there: the rows before it are marked, it and the rest
        wait for the next batch, so no event overtakes an earlier one.
        """
        rows = await asyncio.to_thread(read_batch, self.db, self.batch_size)
        passed: list[tuple[str, str]] = []
        published = duplicates = 0
        try:
            for row in rows:
                if is_domain_event(row.topic):
                    duplicate = await broker.publish(to_message(row, prefix=self.subject_prefix))
                    published += 1
                    duplicates += duplicate
                passed.append((row.tenant_id, row.id))
        finally:
            if passed:
                await asyncio.to_thread(mark_relayed, self.db, passed)
        if passed:
            log.debug("relay.batch", passed=len(passed), published=published)
        if duplicates:
            # Expected after a relay died between the broker's ack and its mark.
            log.info("relay.duplicates_dropped", duplicates=duplicates, published=published)
        return BatchResult(len(passed), published, duplicates)

    async def _connect(self, stop: asyncio.Event) -> Broker | None:
        """Connect to the broker, retrying with backoff until it answers or we are stopped.

        The NATS client itself keeps trying an unreachable server, so a stop must not wait
        for the connection: it cancels it.
        """
        log.info("relay.connecting", relay=self.name)  # not the URL: it may hold credentials
        delay = 1.0
        while not stop.is_set():
            connecting = asyncio.ensure_future(self.connect())
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not connecting.done():
                await _cancel_until_done(connecting)
                return None
            try:
                return connecting.result()
            except Exception as exc:
                log.warning("relay.connect_failed", error=repr(exc), retry_in=delay)
                await _pause(stop, delay)
                delay = min(delay * 2, _MAX_BACKOFF_SECONDS)
        return None


async def _cancel_until_done(task: asyncio.Future[Broker]) -> None:
    """Cancel ``task`` and wait for it, cancelling again until it has ended.

    One cancel is not enough: the NATS client swallows a CancelledError that lands while it
    closes a failed attempt (``Client._close``) and goes on retrying for ever, so the relay
    never exited on a SIGTERM that came at that moment (seen on a loaded CI machine).
    """
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=_RECANCEL_SECONDS)
    with contextlib.suppress(asyncio.CancelledError, Exception):
        task.result()


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, waking at once when ``stop`` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


def check_names(stream: str, subject_prefix: str) -> None:
    """Raises: ERR_VALIDATION (a stream name or subject prefix NATS would refuse or split)."""
    if not stream or any(c in stream for c in ".*> \t\r\n/\\"):
        raise ValidationFailed("not a JetStream stream name", stream=stream)
    if not all(is_subject_token(token) for token in subject_prefix.split(".")):
        raise ValidationFailed("not a subject prefix", subject_prefix=subject_prefix)


def run_relay(db: Database, settings: Settings, *, nats_url: str, stream: str) -> None:
    """Run a relay in this process until SIGTERM or SIGINT; then drain and return.

    Raises: ERR_VALIDATION (see :func:`check_names`).
    """
    prefix = settings.nats_subject_prefix
    check_names(stream, prefix)

    async def connect() -> Broker:
        return await JetStreamBroker.connect(nats_url, stream=stream, subject_prefix=prefix)

    relay = Relay(
        db,
        connect,
        subject_prefix=prefix,
        batch_size=settings.relay_batch_size,
        lease_seconds=settings.relay_lease_seconds,
        poll_seconds=settings.worker_poll_seconds,
    )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await relay.run(stop)
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    asyncio.run(main())
