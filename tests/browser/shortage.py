"""A stock-shortage ticket in the served database, as a paid order whose hold lapsed makes one.

Holds last 15 minutes, so the story is told in-process against the same SQLite file with a
clock set half an hour back: receive one unit, order it, let the hold lapse, sell the unit to
another order (paid, so its hold never lapses), pay the first one, and run the job that opens
the ticket.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oms.config import Settings
from oms.core.clock import ManualClock
from oms.core.context import Actor
from oms.core.db import make_engine
from oms.core.uow import Database
from oms.inventory.schemas import MovementIn
from oms.inventory.service import record_movement
from oms.inventory.states import MovementKind
from oms.orders.schemas import OrderEventIn
from oms.orders.service import apply_event, place_order
from oms.orders.states import OrderEvent
from tests.fixtures.jobs import app_worker
from tests.fixtures.orders import order_create

SCARCE_SKU = "TEA-SCARCE-50"

__all__ = ["SCARCE_SKU", "seed_shortage"]


def seed_shortage(database_url: str, tenant_id: str) -> str:
    """Leave a paid order flagged ``stock_shortage`` with an open ticket; return the order id.

    The tenant's payment timeout must exceed 20 minutes, or the order times out first.
    """
    clock = ManualClock(datetime.now(UTC) - timedelta(minutes=30))
    engine = make_engine(database_url)
    db = Database(engine, clock)
    actor = Actor(tenant_id, "test:seed", "admin")
    try:
        record_movement(db, actor, MovementIn(sku=SCARCE_SKU, kind=MovementKind.INBOUND, qty=1))
        line = {"sku": SCARCE_SKU, "name": "龙井小罐", "qty": 1, "unit_price": 9900}
        buyer = {"name": "赵敏", "phone": "13700001111"}
        late = place_order(db, actor, order_create(lines=[line], buyer=buyer)).order
        clock.advance(timedelta(minutes=20))
        # The other order is paid too: unpaid, its hold would lapse 5 minutes after this
        # seeding, the unit would go back to the first order and the shortage would resolve
        # itself before a test on a slow machine got to look at it.
        taker = place_order(db, actor, order_create(lines=[line], buyer=buyer)).order
        apply_event(db, actor, taker.id, OrderEventIn(event=OrderEvent.PAY, source="test"))
        paid = apply_event(db, actor, late.id, OrderEventIn(event=OrderEvent.PAY, source="test"))
        assert paid.order.exception_code == "stock_shortage"
        app_worker(db, Settings(database_url=database_url)).run_once()
    finally:
        engine.dispose()
    return late.id
