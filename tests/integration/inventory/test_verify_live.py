"""``oms stock verify`` on a live system: orders placed and cancelled while it reads.

Each movement writes its stock row, its ledger entry and its hold in one transaction, so a
check that reads them from one snapshot never sees one without the others. Read statement by
statement, the 10-minute soak (bench/load) saw drift that was not there.
"""

from __future__ import annotations

import threading

import pytest

from oms.core.uow import Database
from oms.inventory import queries
from oms.orders import service as orders
from oms.orders.schemas import OrderEventIn
from tests.fixtures.orders import order_create
from tests.fixtures.tenants import make_tenant, stock_up

SKU = "LIVE-1"
CHECKS = 40


@pytest.mark.postgres
def test_verify_sees_no_drift_while_orders_are_placed_and_cancelled(pg_db: Database) -> None:
    shop = make_tenant(pg_db, name="Live Verify", stocked=False)
    stock_up(pg_db, shop, SKU, 1_000_000)
    lines = [{"sku": SKU, "name": "在售", "qty": 2, "unit_price": 990}]
    cancel = OrderEventIn.model_validate({"event": "cancel"})
    stop = threading.Event()

    def churn() -> None:
        while not stop.is_set():
            order = orders.place_order(pg_db, shop.actor(), order_create(lines=lines)).order
            orders.apply_event(pg_db, shop.actor(), order.id, cancel)

    writers = [threading.Thread(target=churn, daemon=True) for _ in range(3)]
    for writer in writers:
        writer.start()
    try:
        found = [queries.verify_stock(pg_db)[1] for _ in range(CHECKS)]
    finally:
        stop.set()
        for writer in writers:
            writer.join(timeout=60)
    assert [drifts for drifts in found if drifts] == []
