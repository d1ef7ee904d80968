"""The bench's ``limit`` mode: its pgbench script is the order transaction and stays valid.

The script is made from what the raw placer issues against today's schema, so a migration
that changes a table changes the script with it; this runs it for a moment and checks each
transaction placed one whole order (order, lines, holds, stock) and nothing else.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bench.payloads import SKUS, bench_actor, order_payload
from bench.pgbench_limit import pgbench_script, run_pgbench
from oms.core.auth import create_tenant
from oms.core.clock import SystemClock
from oms.core.db import make_engine
from oms.core.migrate import upgrade
from oms.core.uow import Database
from oms.inventory.models import Reservation, StockItem
from oms.inventory.schemas import MovementIn
from oms.inventory.service import record_movement
from oms.orders.models import Order, OrderLine
from tests.fixtures.databases import _create_database, _drop_database, _require_postgres
from tests.fixtures.databases import _worker_database_name as worker_database_name

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(shutil.which("pgbench") is None, reason="pgbench is not installed"),
]


@pytest.fixture
def bench_url(worker_id_name: str) -> Iterator[str]:
    admin_url = _require_postgres()
    name = worker_database_name(worker_id_name) + "_pgbench"
    _drop_database(admin_url, name)
    url = _create_database(admin_url, name)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    _drop_database(admin_url, name)


def test_each_pgbench_transaction_places_one_whole_order(bench_url: str) -> None:
    db = Database(make_engine(bench_url), SystemClock())
    try:
        tenant = create_tenant(db, name="limit shop")
        actor = bench_actor(tenant.tenant_id, tenant.admin_key.key_id)
        for sku in SKUS:
            record_movement(db, actor, MovementIn(sku=sku, kind="inbound", qty=1_000_000))
        payload = order_payload("recorded", 0)
        script = pgbench_script(bench_url, actor, timedelta(minutes=15), payload)

        run = run_pgbench(bench_url, script, clients=2, seconds=1)

        demand = {line["sku"]: 0 for line in payload["lines"]}
        for line in payload["lines"]:
            demand[line["sku"]] += line["qty"]
        with db.reader() as session:
            orders = session.scalar(select(func.count(func.distinct(Order.id))))
            lines = session.scalar(select(func.count()).select_from(OrderLine))
            holds = session.scalar(select(func.count()).select_from(Reservation))
            reserved = dict(session.execute(select(StockItem.sku, StockItem.reserved)).all())
    finally:
        db.engine.dispose()
    assert run.transactions > 0 and orders == run.transactions  # the recording was rolled back
    assert lines == holds == run.transactions * len(payload["lines"])
    assert {sku: reserved[sku] for sku in demand} == {
        sku: qty * run.transactions for sku, qty in demand.items()
    }
