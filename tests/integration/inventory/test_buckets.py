"""Hot SKUs split into buckets: exact balances, fallback across buckets, no oversell."""

from __future__ import annotations

import pytest

from oms.core.errors import ValidationFailed
from oms.core.uow import Database
from oms.inventory import queries, service
from oms.inventory.errors import InsufficientStock
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
