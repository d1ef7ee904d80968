"""``oms relay`` as real processes on PostgreSQL and the local NATS: kill -9, standby, SIGTERM.

Whatever happens to relays, a consumer of the stream sees every domain event of the outbox
exactly once (the broker drops re-publishes by ``Nats-Msg-Id``) and each aggregate's events
in the order they were written.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest
from sqlalchemy import Connection, Engine, func, select, text

from oms.core.clock import SystemClock
from oms.core.models import OutboxMessage, SweepLease
from oms.core.uow import Database
from oms.orders import service
from oms.orders.schemas import OrderEventIn
from oms.relay.messages import is_domain_event
from oms.relay.relay import LEASE_NAME
from tests.fixtures.databases import clear_tables
from tests.fixtures.nats import Stream
from tests.fixtures.orders import order_create
from tests.fixtures.tenants import TenantKeys, make_tenant

pytestmark = pytest.mark.postgres

OMS = Path(sys.executable).parent / "oms"
BATCH = 10
# Long enough that the relay held up on its mark keeps the lease while the standby starts
# (a relay stuck on the database longer than its lease loses it, by design).
LEASE_SECONDS = 20


@dataclass
class RelayProcess:
    process: subprocess.Popen[bytes]
    log_path: Path
    log: IO[bytes]

    @property
    def name_part(self) -> str:
        return f":{self.process.pid}"

    def lines(self) -> list[dict[str, Any]]:
        self.log.flush()
        found = []
        for line in self.log_path.read_text().splitlines():
            if line.startswith("{"):
                found.append(json.loads(line))
        return found

    def logged(self, event: str) -> bool:
        return any(line.get("event") == event for line in self.lines())


@dataclass
class Rig:
    engine: Engine
    db: Database
    tenant: TenantKeys
    stream: Stream
    workdir: Path
    relays: list[RelayProcess] = field(default_factory=list)
    locks: list[Connection] = field(default_factory=list)

    def start_relay(self) -> RelayProcess:
        env = os.environ | {
            "OMS_DATABASE_URL": self.engine.url.render_as_string(hide_password=False),
            "OMS_NATS_URL": self.stream.url,
            "OMS_NATS_STREAM": self.stream.name,
            "OMS_NATS_SUBJECT_PREFIX": self.stream.prefix,
            "OMS_RELAY_LEASE_SECONDS": str(LEASE_SECONDS),
            "OMS_RELAY_BATCH_SIZE": str(BATCH),
            "OMS_WORKER_POLL_SECONDS": "0.05",
            "OMS_LOG_FORMAT": "json",
            "OMS_LOG_LEVEL": "INFO",
        }
        log_path = self.workdir / f"relay-{len(self.relays)}.log"
        log = log_path.open("wb")
        process = subprocess.Popen(
            [str(OMS), "relay"], env=env, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT
        )
        relay = RelayProcess(process, log_path, log)
        self.relays.append(relay)
        _wait(lambda: relay.logged("relay.started"), what="the relay to start", relay=relay)
        return relay

    def place_and_pay(self, orders: int) -> None:
        for _ in range(orders):
            order = service.place_order(self.db, self.tenant.actor(), order_create()).order
            pay = OrderEventIn.model_validate({"event": "pay", "source": "gateway:alipay"})
            service.apply_event(self.db, self.tenant.actor(), order.id, pay)

    def rows(self) -> list[OutboxMessage]:
        with self.db.reader() as session:
            return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    def events(self) -> list[OutboxMessage]:
        return [row for row in self.rows() if is_domain_event(row.topic)]

    def unrelayed(self) -> int:
        with self.db.reader() as session:
            stmt = select(func.count()).where(OutboxMessage.relayed_at.is_(None))
            return int(session.scalar(stmt) or 0)

    def lease_holder(self) -> str | None:
        with self.db.reader() as session:
            lease = session.get(SweepLease, LEASE_NAME)
            return None if lease is None or lease.leased_until is None else lease.holder

    def lock_outbox(self) -> Connection:
        """Row-lock every outbox row: a relay can read and publish them, but its mark waits."""
        conn = self.engine.connect()
        self.locks.append(conn)
        conn.begin()
        conn.execute(text("SELECT id FROM outbox_messages FOR UPDATE"))
        return conn


@pytest.fixture
def rig(postgres_engine: Engine, stream: Stream, tmp_path: Path) -> Iterator[Rig]:
    clear_tables(postgres_engine)
    db = Database(postgres_engine, SystemClock())
    rig = Rig(postgres_engine, db, make_tenant(db), stream, tmp_path)
    yield rig
    for lock in rig.locks:  # a failed test must not leave the relays' marks waiting
        lock.close()
    for relay in rig.relays:
        if relay.process.poll() is None:
            relay.process.kill()
            relay.process.wait(10)
        relay.log.close()


def _wait(
    done: Callable[[], bool], *, what: str, timeout: float = 180, relay: RelayProcess | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if relay is not None and relay.process.poll() is not None:
            raise AssertionError(f"relay exited while waiting for {what}: {relay.lines()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _wait_for_published_batch(stream: Stream) -> int:
    """Until the stream holds something and stops growing (the relay waits on its mark)."""
    _wait(lambda: stream.count() > 0, what="a first publish")
    count = stream.count()
    while True:
        time.sleep(0.5)
        if stream.count() == count:
            return count
        count = stream.count()


def _assert_exactly_once_in_order(rig: Rig) -> None:
    received = rig.stream.consume()
    events = rig.events()
    assert rig.stream.count() == len(received)  # the stream's total
    assert len({m.msg_id for m in received}) == len(received)  # no duplicate got in
    assert sorted(m.msg_id for m in received) == sorted(e.id for e in events)  # none missing
    assert all(m.body["id"] == m.msg_id for m in received)
    by_aggregate: dict[str, list[str]] = defaultdict(list)
    for message in received:  # stream order
        by_aggregate[message.body["aggregate_id"]].append(message.msg_id)
    written: dict[str, list[str]] = defaultdict(list)
    for event in events:  # outbox id order: the order each order's changes were made
        written[event.payload["order_id"]].append(event.id)
    assert by_aggregate == written
    for message_ids in by_aggregate.values():
        types = [m.body["type"] for m in received if m.msg_id in set(message_ids)]
        assert types == ["order.created", "order.status_changed"]


def test_killed_relays_resume_and_every_event_arrives_once_in_order(rig: Rig) -> None:
    rig.place_and_pay(20)
    lock = rig.lock_outbox()
    first = rig.start_relay()
    published = _wait_for_published_batch(rig.stream)
    assert 0 < published <= BATCH  # one batch out, its mark held up by the row locks
    standby = rig.start_relay()
    time.sleep(1.0)
    assert rig.stream.count() == published  # the standby publishes nothing while it waits
    holder = rig.lease_holder()
    assert holder is not None and holder.endswith(first.name_part)

    first.process.send_signal(signal.SIGKILL)  # after the broker's ack, before the mark
    first.process.wait(10)
    lock.rollback()
    lock.close()
    assert rig.unrelayed() == len(rig.rows())  # nothing was marked

    producer = threading.Thread(target=rig.place_and_pay, args=(25,))
    producer.start()
    # The standby takes over once the dead relay's lease runs out, and re-publishes its batch.
    _wait(lambda: rig.stream.count() > published + BATCH, what="the standby to take over")
    assert standby.process.poll() is None
    standby.process.send_signal(signal.SIGKILL)  # mid-stream, while orders keep coming
    standby.process.wait(10)

    last = rig.start_relay()
    producer.join(120)
    _wait(lambda: rig.unrelayed() == 0, what="the backlog to drain", relay=last)
    last.process.send_signal(signal.SIGTERM)
    assert last.process.wait(30) == 0

    dropped = sum(
        line["duplicates"]
        for relay in (standby, last)
        for line in relay.lines()
        if line.get("event") == "relay.duplicates_dropped"
    )
    assert dropped >= published  # the first relay's batch was published twice…
    _assert_exactly_once_in_order(rig)  # …and stored once


def test_sigterm_finishes_the_batch_in_flight_then_exits_0(rig: Rig) -> None:
    rig.place_and_pay(10)
    rows = rig.rows()
    lock = rig.lock_outbox()
    relay = rig.start_relay()
    published = _wait_for_published_batch(rig.stream)

    relay.process.send_signal(signal.SIGTERM)
    time.sleep(1.0)
    assert relay.process.poll() is None  # still finishing its batch: the mark waits
    lock.rollback()
    lock.close()
    assert relay.process.wait(30) == 0

    relayed = [row.id for row in rig.rows() if row.relayed_at is not None]
    assert relayed == [row.id for row in rows[:BATCH]]  # that batch, marked; no other begun
    assert published == len([row for row in rows[:BATCH] if is_domain_event(row.topic)])
    assert rig.stream.count() == published
    assert rig.lease_holder() is None  # released: a standby may take over at once


def test_sigterm_while_nats_is_unreachable_exits_0_at_once(
    postgres_engine: Engine, tmp_path: Path
) -> None:
    env = os.environ | {
        "OMS_DATABASE_URL": postgres_engine.url.render_as_string(hide_password=False),
        "OMS_NATS_URL": "nats://127.0.0.1:1",  # nothing listens there
        "OMS_LOG_FORMAT": "json",
    }
    log_path = tmp_path / "relay.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(OMS), "relay"], env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT
        )
        relay = RelayProcess(process, log_path, log)
        try:
            _wait(lambda: relay.logged("relay.connecting"), what="a connect", relay=relay)
            time.sleep(1.0)  # the client is retrying the dead server
            process.send_signal(signal.SIGTERM)
            # Without the cancel the NATS client retries the dead server for ever; with it the
            # relay exits in well under a second when idle. The bound is for a loaded CI
            # machine, where 10 s was once not enough.
            assert process.wait(60) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)
