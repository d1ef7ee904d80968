"""From ``paid`` to plan stored, with one embedded-style worker, under a steady pay rate.

    OMS_LOG_LEVEL=WARNING .venv/bin/python -m bench.plans_latency_bench [--rate 50] [--seconds 20]

A fresh SQLite file (WAL), migrated; orders are placed first (not timed), then paid at
``--rate`` per second from one thread while a worker thread runs what ``oms serve`` runs
(``jobs_wiring.build_registry``). Latency per order: the plan's ``created_at`` minus the
order's ``paid_at``, both from the system clock. The issue's target: p99 ≤ 30 s at 50/s.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import select

from oms.config import Settings
from oms.core.auth import create_tenant
from oms.core.clock import SystemClock
from oms.core.context import Actor
from oms.core.db import make_engine
from oms.core.jobs import Worker
from oms.core.migrate import upgrade
from oms.core.uow import Database
from oms.fulfilment.planning.models import FulfilmentPlan
from oms.inventory.schemas import MovementIn
from oms.inventory.service import record_movement
from oms.inventory.states import MovementKind
from oms.jobs_wiring import build_registry
from oms.orders.models import Order
from oms.orders.schemas import OrderCreate, OrderEventIn
from oms.orders.service import apply_event, place_order
from oms.orders.states import OrderEvent

LINES = [
    {"sku": "TEA-LJ-250", "name": "西湖龙井", "qty": 2, "unit_price": 32800},
    {"sku": "CUP-GLS-300", "name": "玻璃杯", "qty": 1, "unit_price": 6900},
]
ADDRESS = {"province": "四川省", "city": "成都市", "line1": "天府大道 1 号"}


def _prepare(db: Database, count: int) -> tuple[Actor, list[str]]:
    tenant = create_tenant(db, name="plans latency bench")
    actor = Actor(tenant.tenant_id, "bench:plans", "admin")
    for line in LINES:
        movement = MovementIn(sku=line["sku"], kind=MovementKind.INBOUND, qty=count * 3)  # type: ignore[arg-type]
        record_movement(db, actor, movement)
    data = OrderCreate.model_validate(
        {"channel": "tmall", "lines": LINES, "shipping_address": ADDRESS}
    )
    return actor, [place_order(db, actor, data).order.id for _ in range(count)]


def _pay_at_rate(db: Database, actor: Actor, order_ids: list[str], rate: float) -> float:
    started = time.perf_counter()
    for n, order_id in enumerate(order_ids):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        apply_event(db, actor, order_id, OrderEventIn(event=OrderEvent.PAY, source="bench"))
    return len(order_ids) / (time.perf_counter() - started)


def _latencies(db: Database, tenant_id: str, expected: int, timeout: float) -> list[float]:
    deadline = time.monotonic() + timeout
    stmt = (
        select(Order.paid_at, FulfilmentPlan.created_at)
        .join(
            FulfilmentPlan,
            (FulfilmentPlan.tenant_id == Order.tenant_id) & (FulfilmentPlan.order_id == Order.id),
        )
        .where(Order.tenant_id == tenant_id)
    )
    while True:
        with db.reader() as session:
            rows = session.execute(stmt).all()
        if len(rows) >= expected or time.monotonic() > deadline:
            return sorted((planned - paid).total_seconds() for paid, planned in rows)
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    count = int(args.rate * args.seconds)
    with tempfile.TemporaryDirectory(prefix="oms-plans-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        db = Database(engine, SystemClock())
        actor, order_ids = _prepare(db, count)
        settings = Settings(database_url=url)
        worker = Worker(db, settings, build_registry(settings), name="bench")
        stop = threading.Event()
        thread = threading.Thread(target=worker.run_forever, args=(stop,), daemon=True)
        thread.start()
        achieved = _pay_at_rate(db, actor, order_ids, args.rate)
        found = _latencies(db, actor.tenant_id, count, timeout=300)
        stop.set()
        thread.join()
        engine.dispose()
    p99 = found[min(len(found) - 1, int(len(found) * 0.99))] if found else float("nan")
    print(f"{count} orders paid at {achieved:.1f}/s (asked {args.rate:g}/s), {len(found)} planned")
    p50, worst = statistics.median(found), found[-1]
    print(f"paid → plan stored: p50 {p50:.2f} s, p99 {p99:.2f} s, max {worst:.2f} s")
    print(f"target p99 ≤ 30 s: {'met' if p99 <= 30 else 'NOT met'}")


if __name__ == "__main__":
    main()
