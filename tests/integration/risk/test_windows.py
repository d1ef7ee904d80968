"""The online windows are shared by every process: counts come from committed signals, so an
order assessed through one engine sees the orders assessed through another."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from oms.core.clock import ManualClock
from oms.core.db import make_engine
from oms.core.uow import Database
from oms.orders.service import place_order
from oms.risk import service
from oms.risk.queries import order_features
from tests.fixtures.orders import order_create
from tests.fixtures.risk import distinct_buyer
from tests.fixtures.tenants import TenantKeys, make_tenant

pytestmark = pytest.mark.postgres


def _order(db: Database, tenant: TenantKeys, n: int, **buyer: str) -> str:
    data = order_create(**distinct_buyer(n, **buyer))
    return place_order(db, tenant.actor(), data).order.id


def test_windows_count_orders_assessed_by_another_process(
    pg_db: Database, postgres_engine: Engine, clock: ManualClock
) -> None:
    other_engine = make_engine(postgres_engine.url.render_as_string(hide_password=False))
    other = Database(other_engine, clock)  # another pool: another process's connections
    try:
        tenant = make_tenant(pg_db)
        counts = []
        for i in range(6):
            order_id = _order(pg_db, tenant, i, ip="198.51.100.9", device_id="dev-1")
            runner = pg_db if i % 2 == 0 else other
            service.assess_order(runner, tenant.tenant_id, order_id)
            features = _features(pg_db, tenant, order_id)
            counts.append((features["ip_orders_10m"], features["device_orders_24h"]))
            clock.advance(timedelta(minutes=3))
        # 3 minutes apart: from the 5th on, the 10-minute window holds the last four.
        assert counts == [(1, 1), (2, 2), (3, 3), (4, 4), (4, 5), (4, 6)]
    finally:
        other_engine.dispose()


def test_a_window_ends_at_its_length_and_a_reassessment_counts_nothing_twice(
    pg_db: Database, clock: ManualClock
) -> None:
    tenant = make_tenant(pg_db)
    first = _order(pg_db, tenant, 1, ip="198.51.100.10")
    service.assess_order(pg_db, tenant.tenant_id, first)
    service.assess_order(pg_db, tenant.tenant_id, first)  # a redelivered job
    clock.advance(timedelta(hours=1, seconds=1))
    second = _order(pg_db, tenant, 2, ip="198.51.100.10")
    service.assess_order(pg_db, tenant.tenant_id, second)
    features = _features(pg_db, tenant, second)
    assert (features["ip_orders_10m"], features["ip_orders_1h"], features["ip_orders_24h"]) == (
        1,
        1,
        2,
    )


def test_other_tenants_orders_are_not_counted(pg_db: Database) -> None:
    mine, theirs = make_tenant(pg_db), make_tenant(pg_db, name="Other")
    service.assess_order(pg_db, theirs.tenant_id, _order(pg_db, theirs, 1, ip="198.51.100.11"))
    order_id = _order(pg_db, mine, 1, ip="198.51.100.11")
    service.assess_order(pg_db, mine.tenant_id, order_id)
    features = _features(pg_db, mine, order_id)
    assert features["ip_orders_10m"] == 1
    assert features["is_new_buyer"] is True


def _features(db: Database, tenant: TenantKeys, order_id: str) -> dict[str, object]:
    return order_features(db, tenant.tenant_id, order_id)
