"""No oversell under real concurrency: 200 clients race for 50 units."""

from __future__ import annotations

import threading
from collections import Counter

import httpx
import pytest

from oms.core.uow import Database
from oms.inventory import queries
from oms.inventory.service import split_into_buckets
from tests.fixtures.orders import order_payload
from tests.fixtures.server import live_server
from tests.fixtures.tenants import TenantKeys, make_tenant, stock_up

SKU = "FLASH-1"
CLIENTS = 200
UNITS = 50


def _storm(base_url: str, tenant: TenantKeys) -> Counter[str]:
    """Each of CLIENTS threads, with its own connection, orders one unit at the same moment."""
    barrier = threading.Barrier(CLIENTS)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    body = order_payload(lines=[{"sku": SKU, "name": "秒杀", "qty": 1, "unit_price": 990}])

    def client() -> None:
        with httpx.Client(base_url=base_url, timeout=120) as http:
            barrier.wait()
            response = http.post("/api/v1/orders", json=body, headers=tenant.headers())
        code = "created" if response.status_code == 201 else response.json().get("code", "?")
        with lock:
            outcomes[code] += 1

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _assert_exactly_the_stock_was_sold(db: Database, *, buckets: int = 1) -> None:
    tenant = make_tenant(db, name="Flash Sale", stocked=False)
    stock_up(db, tenant, SKU, UNITS)
    if buckets > 1:
        split_into_buckets(db, tenant.actor(), SKU, warehouse=None, count=buckets)
    with live_server(db) as base_url:
        outcomes = _storm(base_url, tenant)
    assert outcomes == Counter({"created": UNITS, "ERR_STOCK_INSUFFICIENT": CLIENTS - UNITS})
    level = queries.stock_levels(db, tenant.tenant_id, [SKU])[0]
    assert (level.on_hand, level.reserved, level.available) == (UNITS, UNITS, 0)
    _, drifts = queries.verify_stock(db)
    assert drifts == []
    if buckets > 1:
        reserved_from = {
            e.bucket
            for e in queries.ledger(db, tenant.tenant_id, SKU, limit=500)
            if e.kind == "reserve"
        }
        assert len(reserved_from) > 1, "orders should spread over the buckets"


@pytest.mark.postgres
def test_two_hundred_concurrent_orders_for_fifty_units_sell_exactly_fifty_on_postgres(
    pg_db: Database,
) -> None:
    _assert_exactly_the_stock_was_sold(pg_db)


@pytest.mark.postgres
def test_two_hundred_concurrent_orders_for_fifty_units_in_eight_buckets_sell_exactly_fifty(
    pg_db: Database,
) -> None:
    """Each order locks one free bucket with SKIP LOCKED, or falls back to all of them."""
    _assert_exactly_the_stock_was_sold(pg_db, buckets=8)


def test_two_hundred_concurrent_orders_for_fifty_units_sell_exactly_fifty(db: Database) -> None:
    """The same storm on each backend; SQLite serialises writers with BEGIN IMMEDIATE."""
    _assert_exactly_the_stock_was_sold(db)
