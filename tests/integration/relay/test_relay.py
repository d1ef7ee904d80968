"""The relay against a real JetStream: what it publishes, what it marks, and when.

Runs on SQLite and PostgreSQL (the outbox side) with the local NATS server (the broker side).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from datetime import timedelta

import nats
import pytest
from sqlalchemy import select, update

from oms.core.clock import ManualClock
from oms.core.models import OutboxMessage, SweepLease
from oms.core.outbox import MessageStatus
from oms.core.uow import Database
from oms.orders import service
from oms.orders.schemas import OrderEventIn
from oms.relay.broker import Broker, JetStreamBroker
from oms.relay.messages import EventMessage, is_domain_event
from oms.relay.relay import LEASE_NAME, BatchResult, Relay, RelayLease
from oms.webhooks.events import EVENT_TYPES
from tests.fixtures.nats import Stream, run_async
from tests.fixtures.orders import order_create
from tests.fixtures.tenants import TenantKeys


class Instrumented:
    """The real broker, with a step run after each acknowledged publish."""

    def __init__(self, inner: Broker, after: Callable[[int], Awaitable[None]]) -> None:
        self.inner = inner
        self.after = after
        self.published = 0

    async def publish(self, message: EventMessage) -> bool:
        duplicate = await self.inner.publish(message)
        self.published += 1
        await self.after(self.published)
        return duplicate

    async def close(self) -> None:
        await self.inner.close()


def _connect(stream: Stream) -> Callable[[], Awaitable[Broker]]:
    async def connect() -> Broker:
        return await JetStreamBroker.connect(
            stream.url, stream=stream.name, subject_prefix=stream.prefix
        )

    return connect


def _relay(db: Database, stream: Stream, **kwargs: float) -> Relay:
    options: dict[str, float] = {"batch_size": 100, "lease_seconds": 30, "poll_seconds": 0.05}
    options.update(kwargs)
    return Relay(
        db,
        _connect(stream),
        subject_prefix=stream.prefix,
        batch_size=int(options["batch_size"]),
        lease_seconds=options["lease_seconds"],
        poll_seconds=options["poll_seconds"],
        name="relay:test",
    )


def _relay_batch(
    db: Database,
    stream: Stream,
    *,
    batch_size: int = 100,
    after: Callable[[int], Awaitable[None]] | None = None,
) -> BatchResult:
    async def go() -> BatchResult:
        broker: Broker = await _connect(stream)()
        if after is not None:
            broker = Instrumented(broker, after)
        try:
            return await _relay(db, stream, batch_size=batch_size).relay_batch(broker)
        finally:
            await broker.close()

    return run_async(go())


def _place_and_pay(db: Database, tenant: TenantKeys, orders: int) -> None:
    for _ in range(orders):
        order = service.place_order(db, tenant.actor(), order_create()).order
        pay = OrderEventIn.model_validate({"event": "pay", "source": "gateway:alipay"})
        service.apply_event(db, tenant.actor(), order.id, pay)


def _rows(db: Database) -> list[OutboxMessage]:
    with db.reader() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _events(db: Database) -> list[OutboxMessage]:
    return [row for row in _rows(db) if is_domain_event(row.topic)]


def test_a_batch_publishes_the_domain_events_in_order_and_marks_every_row(
    db: Database, tenant: TenantKeys, stream: Stream
) -> None:
    _place_and_pay(db, tenant, 3)
    rows = _rows(db)
    assert {r.topic for r in rows} > {r.topic for r in _events(db)}  # jobs share the outbox

    result = _relay_batch(db, stream)

    events = _events(db)
    assert result == BatchResult(passed=len(rows), published=len(events), duplicates=0)
    received = stream.consume()
    assert [m.msg_id for m in received] == [e.id for e in events]
    assert [m.body["id"] for m in received] == [e.id for e in events]
    assert {m.body["type"] for m in received} <= EVENT_TYPES
    first = received[0]
    assert first.subject == f"{stream.prefix}.{tenant.tenant_id}.order.created"
    assert first.body["aggregate_id"] == events[0].payload["order_id"]
    after = _rows(db)
    assert all(r.relayed_at is not None for r in after)
    # The job runner's state is its own: relaying touched no job's status.
    assert [r.status for r in after] == [MessageStatus.PENDING] * len(after)


def test_relaying_is_independent_of_the_job_runner_having_done_the_rows(
    db: Database, tenant: TenantKeys, stream: Stream
) -> None:
    _place_and_pay(db, tenant, 2)
    with db.uow() as uow:
        uow.session.execute(update(OutboxMessage).values(status=MessageStatus.DONE))
        uow.commit()
    result = _relay_batch(db, stream)
    assert result.published == len(_events(db)) == stream.count()


def test_nothing_is_marked_without_the_brokers_ack_and_later_events_wait(
    db: Database, tenant: TenantKeys, stream: Stream
) -> None:
    _place_and_pay(db, tenant, 3)
    events = _events(db)

    async def lose_the_stream_after_two(published: int) -> None:
        if published == 2:
            nc = await nats.connect(stream.url)
            await nc.jetstream().delete_stream(stream.name)
            await nc.close()

    with pytest.raises(nats.errors.Error):  # no stream answers the third publish
        _relay_batch(db, stream, after=lose_the_stream_after_two)

    relayed = [r.id for r in _rows(db) if r.relayed_at is not None]
    # The rows up to the second event are marked; the third event and every row after it wait.
    assert events[1].id in relayed and events[2].id not in relayed
    assert all(r.id < events[2].id for r in _rows(db) if r.id in relayed)

    result = _relay_batch(db, stream)  # the stream is created again; the rest goes out
    assert [m.msg_id for m in stream.consume()] == [e.id for e in events[2:]]
    assert result.published == len(events) - 2


def test_a_batch_published_again_is_dropped_by_the_broker_as_duplicates(
    db: Database, tenant: TenantKeys, stream: Stream
) -> None:
    _place_and_pay(db, tenant, 2)
    _relay_batch(db, stream)
    # A relay killed after the broker's ack but before its mark: the rows look unrelayed.
    with db.uow() as uow:
        uow.session.execute(update(OutboxMessage).values(relayed_at=None))
        uow.commit()
    again = _relay_batch(db, stream)
    events = _events(db)
    assert again.duplicates == again.published == len(events)
    assert stream.count() == len(events)


def test_a_stop_mid_batch_finishes_and_marks_that_batch_then_returns(
    db: Database, tenant: TenantKeys, stream: Stream
) -> None:
    _place_and_pay(db, tenant, 6)
    batch = 5
    relay = _relay(db, stream, batch_size=batch)

    async def go() -> None:
        stop = asyncio.Event()
        inner = relay.connect

        async def connect() -> Broker:
            async def stop_after_first(published: int) -> None:
                if published == 1:
                    stop.set()  # what SIGTERM does in `oms relay`

            return Instrumented(await inner(), stop_after_first)

        relay.connect = connect
        await asyncio.wait_for(relay.run(stop), timeout=30)

    run_async(go())
    rows = _rows(db)
    relayed = [r for r in rows if r.relayed_at is not None]
    assert [r.id for r in relayed] == [r.id for r in rows[:batch]]  # that batch, no other
    assert stream.count() == len([r for r in relayed if is_domain_event(r.topic)])
    with db.reader() as session:
        lease = session.get(SweepLease, LEASE_NAME)
    assert lease is not None and lease.leased_until is None  # released for a standby


def test_one_relay_holds_the_lease_a_standby_takes_it_when_it_expires(
    db: Database, clock: ManualClock
) -> None:
    active, standby = RelayLease(db, "relay:a", 15), RelayLease(db, "relay:b", 15)
    assert active.hold() and not standby.hold()
    clock.advance(timedelta(seconds=10))
    assert active.hold() and not standby.hold()  # renewed at 10 s: good until 25 s
    clock.advance(timedelta(seconds=14))
    assert not standby.hold()
    clock.advance(timedelta(seconds=2))  # 26 s: a killed holder's lease has run out
    assert standby.hold()
    assert not active.hold()  # it lost the lease and knows it
    standby.release()
    assert active.hold()  # a released lease is taken at once


@pytest.mark.postgres
def test_of_relays_asking_at_once_exactly_one_gets_the_lease(pg_db: Database) -> None:
    leases = [RelayLease(pg_db, f"relay:{i}", 15) for i in range(8)]
    start = threading.Barrier(len(leases))
    got: list[bool] = []

    def ask(lease: RelayLease) -> None:
        start.wait()
        got.append(lease.hold())

    threads = [threading.Thread(target=ask, args=(lease,)) for lease in leases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(got) == [False] * 7 + [True]
