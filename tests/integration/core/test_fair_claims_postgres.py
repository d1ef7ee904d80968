"""Fair claims under real concurrency on PostgreSQL: worker threads never claim a message twice,
and a tenant's payment confirmation and webhook finish while another tenant's 20,000-job backlog
is still draining."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from oms.app import create_app
from oms.config import Settings
from oms.core import outbox
from oms.core.clock import ManualClock
from oms.core.jobs import JobRegistry, Worker
from oms.core.models import OutboxMessage
from oms.core.uow import Database
from tests.fixtures.gateways import ORDER_TOTAL, FakeGateway, Trade, alipay_notification
from tests.fixtures.jobs import Probe, app_worker
from tests.fixtures.orders import order_payload
from tests.fixtures.robots import FakeServer, serve, webhook_receiver
from tests.fixtures.tenants import TenantKeys, make_tenant
from tests.integration.payments.helpers import notify_alipay

pytestmark = pytest.mark.postgres

BACKLOG = 20_000
TRADE_NO = "2026012422001400000000000009"
SETTINGS = Settings(env="test", webhook_allow_private_networks=True, worker_poll_seconds=0.05)


@pytest.fixture
def db(pg_db: Database) -> Database:
    """Every fixture of this module (tenants, client) works on PostgreSQL."""
    return pg_db


def _enqueue(db: Database, tenant_id: str, count: int) -> None:
    with db.uow() as uow:
        for n in range(count):
            outbox.add(uow, Probe(tenant_id=tenant_id, n=n))
        uow.commit()


def _pending(db: Database, tenant_id: str, topic: str = Probe.topic) -> int:
    with db.reader() as session:
        stmt = select(func.count()).where(
            OutboxMessage.tenant_id == tenant_id,
            OutboxMessage.topic == topic,
            OutboxMessage.status != "done",
        )
        return int(session.scalar(stmt) or 0)


@contextmanager
def _running(workers: Sequence[Worker]) -> Iterator[None]:
    """Run each worker in a thread of its own until the block ends."""
    stop = threading.Event()
    threads = [threading.Thread(target=w.run_forever, args=(stop,)) for w in workers]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)


def _wait_for(condition: Any, *, rounds: int = 1200) -> None:
    """Poll ``condition`` (a safety limit of about two minutes, not a timing assertion)."""
    stop = threading.Event()
    for _ in range(rounds):
        if condition():
            return
        stop.wait(0.1)
    raise AssertionError("the condition never held")


def test_concurrent_workers_claim_every_message_exactly_once(db: Database) -> None:
    tenants = [make_tenant(db, f"Shop {i}", stocked=False).tenant_id for i in range(3)]
    for tenant_id in tenants:
        _enqueue(db, tenant_id, 400)
    runs: Counter[tuple[str, int]] = Counter()
    lock = threading.Lock()

    def record(_db: Database, event: Probe, _run: object) -> None:
        with lock:
            runs[(event.tenant_id, event.n)] += 1

    workers = []
    for i in range(4):
        registry = JobRegistry()
        registry.handle(Probe, record)
        workers.append(
            Worker(db, Settings(env="test", worker_poll_seconds=0.05), registry, name=f"w{i}")
        )
    with _running(workers):
        _wait_for(lambda: sum(_pending(db, t) for t in tenants) == 0)

    assert len(runs) == 1200
    assert set(runs.values()) == {1}
    with db.reader() as session:
        attempts = set(session.scalars(select(OutboxMessage.attempts)))
    assert attempts == {1}


@pytest.fixture
def client(db: Database, clock: ManualClock) -> Iterator[TestClient]:
    # The receiver checks webhook-timestamp against the wall clock.
    clock.set(datetime.now(UTC).replace(microsecond=0))
    app = create_app(SETTINGS, db=db, run_worker=False)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def receiver() -> Iterator[tuple[FakeServer, dict[str, str]]]:
    secret: dict[str, str] = {}
    with serve(webhook_receiver([200], lambda: secret["value"])) as fake:
        yield fake, secret


def _paid_with_webhook(
    client: TestClient,
    clock: ManualClock,
    tenant: TenantKeys,
    gateway: FakeGateway,
    receiver_url: str,
) -> tuple[str, str]:
    """B subscribes to status changes and gets an Alipay notification for its new order, paid
    (in Beijing time, as Alipay writes it) a second after it was placed: a payment dated
    before the placement would be an out-of-order event, refused as a conflict."""
    subscription = client.post(
        "/api/v1/webhooks/subscriptions",
        json={"url": receiver_url, "event_types": ["order.status_changed"]},
        headers=tenant.headers(),
    ).json()
    order = client.post("/api/v1/orders", json=order_payload(), headers=tenant.headers()).json()
    paid_at = (clock.now() + timedelta(hours=8, seconds=1)).strftime("%Y-%m-%d %H:%M:%S")
    gateway.trades[order["order_no"]] = Trade(
        paid_at=paid_at,
        trade_no=TRADE_NO,
        amount=ORDER_TOTAL,
        state="TRADE_SUCCESS",
    )
    answer = notify_alipay(
        client,
        tenant.tenant_id,
        alipay_notification(order["order_no"], trade_no=TRADE_NO, gmt_payment=paid_at),
    )
    assert (answer.status_code, answer.text) == (200, "success")
    return order["id"], subscription["secret"]


def test_a_paid_order_is_confirmed_and_its_webhook_sent_while_another_backlog_drains(
    db: Database,
    clock: ManualClock,
    client: TestClient,
    configured: TenantKeys,
    gateway: FakeGateway,
    receiver: tuple[FakeServer, dict[str, str]],
) -> None:
    backlog = make_tenant(db, "Import Shop", stocked=False).tenant_id
    _enqueue(db, backlog, BACKLOG)
    clock.advance(timedelta(seconds=1))  # B's work is younger than all of A's: FIFO runs it last
    fake, secret = receiver
    order_id, secret["value"] = _paid_with_webhook(client, clock, configured, gateway, fake.url)
    workers = [app_worker(db, SETTINGS, name=f"fair-{i}") for i in range(2)]
    for worker in workers:
        worker.registry.handle(Probe, lambda _db, _event, _run: None)

    with _running(workers):
        _wait_for(lambda: any(r.verdict == "verified" for r in fake.received))
        left_when_delivered = _pending(db, backlog)

    assert left_when_delivered > BACKLOG // 2
    order = client.get(f"/api/v1/orders/{order_id}", headers=configured.headers()).json()
    assert order["status"] == "paid"
    [delivered] = [r.json() for r in fake.received if r.verdict == "verified"]
    assert (delivered["data"]["order_id"], delivered["data"]["to_status"]) == (order_id, "paid")
