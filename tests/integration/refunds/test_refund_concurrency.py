"""The paid-amount invariant holds under concurrent requests (PostgreSQL row locks)."""

from __future__ import annotations

import threading

import pytest

from oms.core.errors import AppError
from oms.core.uow import Database
from oms.orders.schemas import OrderEventIn
from oms.orders.service import apply_event, place_order
from oms.orders.states import OrderEvent
from oms.refunds.schemas import RefundIn
from oms.refunds.service import request_refund
from tests.fixtures.gateways import ORDER_TOTAL
from tests.fixtures.orders import order_create
from tests.fixtures.tenants import make_tenant


@pytest.mark.postgres
def test_twenty_concurrent_tenths_accept_exactly_ten(pg_db: Database) -> None:
    tenant = make_tenant(pg_db)
    actor = tenant.actor()
    order_id = place_order(pg_db, actor, order_create()).order.id
    apply_event(pg_db, actor, order_id, OrderEventIn(event=OrderEvent.PAY))
    start = threading.Barrier(20)
    codes: list[str] = []
    lock = threading.Lock()

    def ask() -> None:
        data = RefundIn(order_id=order_id, amount=ORDER_TOTAL // 10, reason="quality")
        start.wait()
        try:
            request_refund(pg_db, actor, data)
            outcome = "accepted"
        except AppError as error:
            outcome = error.code
        with lock:
            codes.append(outcome)

    threads = [threading.Thread(target=ask) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == ["ERR_REFUND_EXCEEDS_PAID"] * 10 + ["accepted"] * 10
