"""Short lines: recorded whatever the stock, blocked from shipping, served oldest first."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from oms.core.clock import ManualClock
from oms.core.models import OutboxMessage
from oms.core.uow import Database
from oms.inventory import queries as stock_queries
from oms.inventory import service as stock
from oms.inventory.errors import InsufficientStock
from oms.inventory.schemas import TrackingIn
from oms.orders import queries, service
from oms.orders.errors import ShortLinesCannotShip
from oms.orders.schemas import OrderEventIn, OrderOut
from oms.orders.states import OrderStatus
from oms.tickets.service import list_tickets
from tests.fixtures.jobs import app_worker
from tests.fixtures.orders import order_create
from tests.fixtures.tenants import TenantKeys, make_tenant, stock_up

SKU = "TEA-SHORT"


@pytest.fixture
def shop(db: Database) -> TenantKeys:
    return make_tenant(db, name="Short Shop", stocked=False, payment_timeout_seconds=86_400)


def _line(sku: str = SKU, qty: int = 1) -> dict[str, Any]:
    return {"sku": sku, "name": sku, "qty": qty, "unit_price": 1000}


def _place(db: Database, shop: TenantKeys, *lines: dict[str, Any], **kw: Any) -> OrderOut:
    data = order_create(lines=list(lines) or [_line()], allow_shortage=True, **kw)
    return service.place_order(db, shop.actor(), data).order


def _event(db: Database, shop: TenantKeys, order_id: str, event: str) -> OrderOut:
    command = OrderEventIn.model_validate({"event": event})
    return service.apply_event(db, shop.actor(), order_id, command).order


def _get(db: Database, shop: TenantKeys, order_id: str) -> OrderOut:
    return queries.get_order(db, shop.tenant_id, order_id)


def _run_jobs(db: Database) -> None:
    worker = app_worker(db)
    for _ in range(20):
        if worker.run_once() == 0:
            return


def _ticket_status(db: Database, shop: TenantKeys, order_id: str) -> str:
    (ticket,) = list_tickets(db, shop.tenant_id, order_id=order_id, kind="stock_shortage")
    return ticket.status


def _verified(db: Database) -> None:
    _, drifts = stock_queries.verify_stock(db)
    assert drifts == []


def test_an_order_allowed_short_is_recorded_with_short_lines_a_ticket_and_an_alert(
    db: Database, shop: TenantKeys
) -> None:
    stock_up(db, shop, SKU, 1)
    order = _place(db, shop, _line(qty=3), _line("NEVER-STOCKED", 2))
    assert order.stock_shortage and order.exception_code == "stock_shortage"
    assert [line.short_qty for line in order.lines] == [2, 2]
    assert [line.short_qty for line in _get(db, shop, order.id).lines] == [2, 2]
    (ticket,) = list_tickets(db, shop.tenant_id, order_id=order.id)
    assert (ticket.kind, ticket.status, ticket.assignee_role) == ("stock_shortage", "open", "ops")
    assert ticket.details["lines"] == [
        {"line_no": 1, "sku": SKU, "qty": 3, "short": 2},
        {"line_no": 2, "sku": "NEVER-STOCKED", "qty": 2, "short": 2},
    ]
    with db.reader() as session:
        alerts = session.scalars(
            select(OutboxMessage.payload).where(OutboxMessage.topic == "alert.raised")
        ).all()
    assert [a["type"] for a in alerts] == ["ticket.stock_shortage"]
    level = stock_queries.stock_levels(db, shop.tenant_id, [SKU])[0]
    assert (level.on_hand, level.reserved) == (1, 1)  # what there was is held
    events = [e.event for e in queries.order_timeline(db, shop.tenant_id, order.id)]
    assert events == ["create", "stock_shortage"]
    listed = queries.list_orders(
        db, shop.tenant_id, queries.OrderFilter(stock_shortage=True), overlap_s=0
    )
    assert [o.id for o in listed.page.items] == [order.id]
    _verified(db)


def test_without_allow_shortage_an_order_stays_all_or_nothing(
    db: Database, shop: TenantKeys
) -> None:
    stock_up(db, shop, SKU, 1)
    with pytest.raises(InsufficientStock):
        service.place_order(db, shop.actor(), order_create(lines=[_line(qty=2)]))
    assert (
        queries.list_orders(db, shop.tenant_id, queries.OrderFilter(), overlap_s=0).page.items == []
    )


def test_stock_arriving_serves_short_lines_oldest_paid_first_then_unpaid(
    db: Database, shop: TenantKeys, clock: ManualClock
) -> None:
    first = _place(db, shop, _line(qty=3))
    clock.advance(timedelta(minutes=1))
    second = _place(db, shop, _line(qty=2))
    clock.advance(timedelta(minutes=1))
    third = _place(db, shop, _line(qty=2))
    clock.advance(timedelta(minutes=1))
    _event(db, shop, third.id, "pay")  # paid first: served first
    clock.advance(timedelta(minutes=1))
    _event(db, shop, first.id, "pay")  # `second` stays unpaid: served after every paid one
    stock_up(db, shop, SKU, 4)
    _run_jobs(db)
    assert [line.short_qty for line in _get(db, shop, third.id).lines] == [0]
    assert [line.short_qty for line in _get(db, shop, first.id).lines] == [1]
    assert [line.short_qty for line in _get(db, shop, second.id).lines] == [2]
    assert not _get(db, shop, third.id).stock_shortage
    assert _ticket_status(db, shop, third.id) == "resolved"
    assert _ticket_status(db, shop, first.id) == "open"
    stock_up(db, shop, SKU, 2)
    _run_jobs(db)
    assert _get(db, shop, first.id).stock_shortage is False
    assert [line.short_qty for line in _get(db, shop, second.id).lines] == [1]
    assert _ticket_status(db, shop, first.id) == "resolved"
    assert _ticket_status(db, shop, second.id) == "open"
    timeline = queries.order_timeline(db, shop.tenant_id, first.id)
    backfills = [e for e in timeline if e.event == "stock_backfill"]
    assert [e.details["served"][0]["reserved"] for e in backfills] == [2, 1]
    assert all(e.source == "system:stock-backfill" for e in backfills)
    # Paid orders' units are deducted, the unpaid one's are held.
    level = stock_queries.stock_levels(db, shop.tenant_id, [SKU])[0]
    assert (level.on_hand, level.reserved, level.available) == (1, 1, 0)
    _verified(db)


def test_a_short_order_cannot_ship_until_its_lines_are_reserved(
    db: Database, shop: TenantKeys
) -> None:
    order = _place(db, shop, _line(qty=2))
    _event(db, shop, order.id, "pay")
    for event in ("ship", "partial_ship"):
        with pytest.raises(ShortLinesCannotShip) as refused:
            _event(db, shop, order.id, event)
        assert refused.value.code == "ERR_ORDER_STOCK_SHORT"
    timeline = queries.order_timeline(db, shop.tenant_id, order.id)
    assert [(e.event, e.error_code) for e in timeline][-2:] == [
        ("ship", "ERR_ORDER_STOCK_SHORT"),
        ("partial_ship", "ERR_ORDER_STOCK_SHORT"),
    ]
    stock_up(db, shop, SKU, 2)
    _run_jobs(db)
    assert _event(db, shop, order.id, "ship").status == OrderStatus.SHIPPED


def test_cancelling_a_short_order_releases_its_units_to_the_next_order_and_closes_its_ticket(
    db: Database, shop: TenantKeys, clock: ManualClock
) -> None:
    stock_up(db, shop, SKU, 2)
    first = _place(db, shop, _line(qty=3))  # holds 2, short 1
    clock.advance(timedelta(minutes=1))
    second = _place(db, shop, _line(qty=2))  # short 2
    cancelled = _event(db, shop, first.id, "cancel")
    assert not cancelled.stock_shortage and cancelled.exception_code is None
    assert [line.short_qty for line in cancelled.lines] == [0]
    assert _ticket_status(db, shop, first.id) == "resolved"
    _run_jobs(db)  # the released hold is a stock arrival for the waiting order
    assert [line.short_qty for line in _get(db, shop, second.id).lines] == [0]
    assert _ticket_status(db, shop, second.id) == "resolved"
    _verified(db)


def test_untracked_skus_reserve_nothing_and_are_never_short(db: Database, shop: TenantKeys) -> None:
    level = stock.set_tracking(db, shop.actor(), "GIFT-CARD", TrackingIn(tracked=False))
    assert level.tracked is False
    data = order_create(lines=[_line("GIFT-CARD", 3)])
    order = service.place_order(db, shop.actor(), data).order  # all or nothing: still placed
    assert not order.stock_shortage and order.lines[0].short_qty == 0
    assert _event(db, shop, order.id, "pay").status == OrderStatus.PAID
    assert _event(db, shop, order.id, "ship").status == OrderStatus.SHIPPED
    assert stock.set_tracking(db, shop.actor(), "GIFT-CARD", TrackingIn(tracked=True)).tracked
    with pytest.raises(InsufficientStock):
        service.place_order(db, shop.actor(), data)


def test_a_sku_made_untracked_clears_the_lines_waiting_for_it(
    db: Database, shop: TenantKeys
) -> None:
    order = _place(db, shop, _line("VOUCHER-50", 2))
    assert order.stock_shortage
    stock.set_tracking(db, shop.actor(), "VOUCHER-50", TrackingIn(tracked=False))
    _run_jobs(db)
    served = _get(db, shop, order.id)
    assert not served.stock_shortage and served.lines[0].short_qty == 0
    assert _ticket_status(db, shop, order.id) == "resolved"


def test_ordinary_movements_announce_nothing_when_no_order_waits(
    db: Database, shop: TenantKeys
) -> None:
    stock_up(db, shop, SKU, 5)
    order = service.place_order(db, shop.actor(), order_create(lines=[_line()])).order
    _event(db, shop, order.id, "cancel")
    with db.reader() as session:
        announced = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.topic == "stock.available")
        )
    assert announced == 0


def test_a_cash_on_delivery_order_has_no_payment_deadline(
    db: Database, shop: TenantKeys, clock: ManualClock
) -> None:
    stock_up(db, shop, SKU, 5)
    data = order_create(lines=[_line()], cash_on_delivery=True)
    order = service.place_order(db, shop.actor(), data).order
    assert order.payment_due_at is None
    with db.reader() as session:
        topics = session.scalars(select(OutboxMessage.topic)).all()
    assert "order.payment_timeout_due" not in topics
    clock.advance(timedelta(days=30))
    later = _get(db, shop, order.id)
    assert (later.status, later.timeout_pending) == (OrderStatus.PENDING_PAYMENT, False)
    pending = queries.list_orders(
        db, shop.tenant_id, queries.OrderFilter(statuses=[OrderStatus.PENDING_PAYMENT]), overlap_s=0
    )
    assert [o.id for o in pending.page.items] == [order.id]
    assert _event(db, shop, order.id, "pay").status == OrderStatus.PAID
