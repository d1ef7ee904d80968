"""Hot SKUs split into buckets: exact balances, fallback across buckets, no oversell."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import Connection, select

from oms.core.errors import ValidationFailed
from oms.core.uow import Database
from oms.inventory import queries, service
from oms.inventory.errors import InsufficientStock
from oms.inventory.models import StockItem
from oms.orders import service as orders
from tests.fixtures.orders import order_create
from tests.fixtures.tenants import TenantKeys, make_tenant, stock_up

SKU = "FLASH-8"


@pytest.fixture
def shop(db: Database) -> TenantKeys:
    tenant = make_tenant(db, name="Bucket Shop", stocked=False)
    stock_up(db, tenant, SKU, 50)
    return tenant


def _order(db: Database, shop: TenantKeys, qty: int) -> str:
    lines = [{"sku": SKU, "name": "秒杀", "qty": qty, "unit_price": 990}]
    return orders.place_order(db, shop.actor(), order_create(lines=lines)).order.id


def _split(db: Database, shop: TenantKeys, count: int) -> None:
    service.split_into_buckets(db, shop.actor(), SKU, warehouse=None, count=count)


def test_splitting_spreads_the_free_units_and_keeps_the_totals(
    db: Database, shop: TenantKeys
) -> None:
    _order(db, shop, 3)
    _split(db, shop, 8)
    level = queries.stock_levels(db, shop.tenant_id, [SKU])[0]
    assert (level.on_hand, level.reserved, level.available) == (50, 3, 47)
    assert level.warehouses[0].buckets == 8
    corrections = [e for e in queries.ledger(db, shop.tenant_id, SKU) if e.kind == "correction"]
    assert sum(e.delta_on_hand for e in corrections) == 0
    _, drifts = queries.verify_stock(db)
    assert drifts == []


def test_an_order_larger_than_any_bucket_takes_from_several(db: Database, shop: TenantKeys) -> None:
    _split(db, shop, 8)  # 6 or 7 units each
    order_id = _order(db, shop, 20)
    holds = queries.order_reservations(db, shop.tenant_id, order_id)
    assert sum(h.qty for h in holds) == 20 and len(holds) >= 3
    _order(db, shop, 30)
    with pytest.raises(InsufficientStock):
        _order(db, shop, 1)
    _, drifts = queries.verify_stock(db)
    assert drifts == []


def test_paying_and_cancelling_bucketed_orders_stay_exact(db: Database, shop: TenantKeys) -> None:
    from oms.orders.schemas import OrderEventIn

    _split(db, shop, 4)
    paid, cancelled = _order(db, shop, 5), _order(db, shop, 7)
    orders.apply_event(db, shop.actor(), paid, OrderEventIn.model_validate({"event": "pay"}))
    orders.apply_event(
        db, shop.actor(), cancelled, OrderEventIn.model_validate({"event": "cancel"})
    )
    level = queries.stock_levels(db, shop.tenant_id, [SKU])[0]
    assert (level.on_hand, level.reserved, level.available) == (45, 0, 45)
    _, drifts = queries.verify_stock(db)
    assert drifts == []


def test_the_bucket_count_cannot_shrink(db: Database, shop: TenantKeys) -> None:
    _split(db, shop, 4)
    with pytest.raises(ValidationFailed):
        _split(db, shop, 2)


def _lock_bucket(db: Database, tenant_id: str, bucket: int) -> Connection:
    """Another session holding one bucket's row lock until it ends."""
    conn = db.engine.connect()
    conn.execute(
        select(StockItem.bucket)
        .where(StockItem.tenant_id == tenant_id, StockItem.sku == SKU, StockItem.bucket == bucket)
        .with_for_update()
    ).one()
    return conn


@pytest.mark.postgres
def test_with_every_able_bucket_busy_an_order_waits_for_one_bucket_not_for_all(
    pg_db: Database,
) -> None:
    # Two buckets, one of them too small for the order. Both are locked by other sessions;
    # the order must wait for the able bucket only, so it goes through as soon as that one
    # is free, while the small one is still held.
    shop = make_tenant(pg_db, name="Busy Buckets", stocked=False)
    stock_up(pg_db, shop, SKU, 10)
    service.split_into_buckets(pg_db, shop.actor(), SKU, warehouse=None, count=2)  # 5 + 5
    _order(pg_db, shop, 4)  # one bucket keeps 1 unit, the other 5
    level = {b.bucket: b.available for b in _buckets(pg_db, shop.tenant_id)}
    small, able = sorted(level, key=level.__getitem__)
    holds_small = _lock_bucket(pg_db, shop.tenant_id, small)
    holds_able = _lock_bucket(pg_db, shop.tenant_id, able)
    placed: list[str] = []
    order = threading.Thread(target=lambda: placed.append(_order(pg_db, shop, 3)), daemon=True)
    try:
        order.start()
        order.join(timeout=1.0)
        assert not placed  # the only bucket able to serve it is busy: it waits
        holds_able.rollback()
        order.join(timeout=60)
        assert placed, "the order waited for the small bucket's lock too"
    finally:
        holds_able.close()
        holds_small.rollback()
        holds_small.close()
        order.join(timeout=60)
    _, drifts = queries.verify_stock(pg_db)
    assert drifts == []


def _buckets(db: Database, tenant_id: str) -> list[Any]:
    with db.reader() as session:
        rows = session.execute(
            select(
                StockItem.bucket,
                (StockItem.on_hand - StockItem.reserved - StockItem.safety_stock).label(
                    "available"
                ),
            ).where(StockItem.tenant_id == tenant_id, StockItem.sku == SKU)
        ).all()
    return list(rows)
