"""Short orders and inbound stock racing on PostgreSQL: balances stay exact, nothing is lost."""

from __future__ import annotations

import threading
from collections import Counter

import httpx

from oms.core.uow import Database
from oms.inventory import queries
from oms.orders import queries as order_queries
from tests.fixtures.jobs import app_worker
from tests.fixtures.orders import order_payload
from tests.fixtures.server import live_server
from tests.fixtures.tenants import TenantKeys, make_tenant

SKU = "RACE-1"
ORDERS = 30
INBOUNDS = 10
UNITS_EACH = 2  # 20 units arrive for 30 wanted: 10 stay short


def _race(base_url: str, tenant: TenantKeys) -> Counter[int]:
    """Orders (allowed short) and inbound movements, every client on its own connection."""
    barrier = threading.Barrier(ORDERS + INBOUNDS)
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    order = order_payload(
        lines=[{"sku": SKU, "name": "抢购", "qty": 1, "unit_price": 990}], allow_shortage=True
    )
    inbound = {"sku": SKU, "kind": "inbound", "qty": UNITS_EACH}

    def client(path: str, body: dict[str, object]) -> None:
        with httpx.Client(base_url=base_url, timeout=120) as http:
            barrier.wait()
            response = http.post(path, json=body, headers=tenant.headers())
        with lock:
            statuses[response.status_code] += 1

    threads = [
        threading.Thread(target=client, args=("/api/v1/orders", order)) for _ in range(ORDERS)
    ] + [
        threading.Thread(target=client, args=("/api/v1/stock/movements", inbound))
        for _ in range(INBOUNDS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def _drain_with_two_workers(db: Database) -> None:
    def work(name: str) -> None:
        worker = app_worker(db, name=name)
        for _ in range(50):
            if worker.run_once() == 0:
                return

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_concurrent_inbound_and_short_orders_leave_verify_clean(pg_db: Database) -> None:
    tenant = make_tenant(pg_db, name="Race Shop", stocked=False, payment_timeout_seconds=86_400)
    with live_server(pg_db) as base_url:
        assert _race(base_url, tenant) == Counter({201: ORDERS + INBOUNDS})
    _drain_with_two_workers(pg_db)
    level = queries.stock_levels(pg_db, tenant.tenant_id, [SKU])[0]
    assert (level.on_hand, level.reserved, level.available) == (20, 20, 0)
    _, drifts = queries.verify_stock(pg_db)
    assert drifts == []
    page = order_queries.list_orders(
        pg_db, tenant.tenant_id, order_queries.OrderFilter(limit=200), overlap_s=0
    ).page
    assert len(page.items) == ORDERS
    short = 0
    for order in page.items:
        holds = queries.order_reservations(pg_db, tenant.tenant_id, order.id)
        held = sum(h.qty for h in holds if h.status == "active")
        (line,) = order.lines
        assert held + line.short_qty == 1, order.order_no  # every unit held or short, once
        assert order.stock_shortage == (line.short_qty > 0)
        short += line.short_qty
    assert short == ORDERS - INBOUNDS * UNITS_EACH
