"""Stock: movements, reservations with orders, expiry, deduction, short lines, verify."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from oms.core.clock import ManualClock
from oms.core.models import OutboxMessage
from oms.core.uow import Database
from oms.inventory import queries, service
from oms.inventory.errors import InsufficientStock, StockVersionMismatch, UnknownWarehouse
from oms.inventory.models import LedgerEntry, Reservation
from oms.inventory.schemas import MovementIn, WarehouseIn
from oms.inventory.states import MovementKind
from oms.orders import queries as order_queries
from oms.orders import service as orders
from oms.orders.models import Order
from oms.orders.schemas import OrderEventIn
from oms.orders.states import OrderStatus
from oms.tickets.service import list_tickets
from tests.fixtures.orders import order_create
from tests.fixtures.tenants import TenantKeys, make_tenant, stock_up

SKU = "HOT-1"


@pytest.fixture
def shop(db: Database) -> TenantKeys:
    return make_tenant(db, name="Stock Shop", stocked=False)


def _line(sku: str = SKU, qty: int = 1) -> dict[str, object]:
    return {"sku": sku, "name": sku, "qty": qty, "unit_price": 1000}


def _order(db: Database, shop: TenantKeys, *lines: dict[str, object], **kw: object) -> str:
    data = order_create(lines=list(lines) or [_line()], **kw)
    return orders.place_order(db, shop.actor(), data).order.id


def _level(db: Database, shop: TenantKeys, sku: str = SKU) -> tuple[int, int, int]:
    level = queries.stock_levels(db, shop.tenant_id, [sku])[0]
    return level.on_hand, level.reserved, level.available


def _event(db: Database, shop: TenantKeys, order_id: str, event: str) -> None:
    orders.apply_event(db, shop.actor(), order_id, OrderEventIn.model_validate({"event": event}))


def _count(db: Database, model: type) -> int:
    with db.reader() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _assert_verified(db: Database) -> None:
    checked, drifts = queries.verify_stock(db)
    assert checked > 0 and drifts == []


def test_an_inbound_movement_creates_the_default_warehouse_and_a_ledger_row(
    db: Database, shop: TenantKeys
) -> None:
    stock_up(db, shop, SKU, 5)
    assert _level(db, shop) == (5, 0, 5)
    assert [w.code for w in queries.warehouses(db, shop.tenant_id)] == ["main"]
    (entry,) = queries.ledger(db, shop.tenant_id, SKU)
    assert (entry.kind, entry.delta_on_hand, entry.on_hand_after) == ("inbound", 5, 5)
    _assert_verified(db)


def test_adjustments_are_signed_and_cannot_take_units_held_by_orders(
    db: Database, shop: TenantKeys
) -> None:
    stock_up(db, shop, SKU, 5)
    _order(db, shop, _line(qty=3))
    move = MovementIn(sku=SKU, kind=MovementKind.ADJUSTMENT, qty=-2)
    service.record_movement(db, shop.actor(), move)
    assert _level(db, shop) == (3, 3, 0)
    with pytest.raises(InsufficientStock):
        service.record_movement(db, shop.actor(), move)
    _assert_verified(db)


def test_a_stale_expected_version_is_refused_with_the_current_figures(
    db: Database, shop: TenantKeys
) -> None:
    stock_up(db, shop, SKU, 5)
    stale = MovementIn(sku=SKU, kind=MovementKind.DEDUCT, qty=1, expected_version=1)
    with pytest.raises(StockVersionMismatch) as raised:
        service.record_movement(db, shop.actor(), stale)
    assert raised.value.details["current_version"] == 2
    assert raised.value.details["on_hand"] == 5 and raised.value.details["available"] == 5
    current = MovementIn(sku=SKU, kind=MovementKind.DEDUCT, qty=1, expected_version=2)
    assert service.record_movement(db, shop.actor(), current).stock.on_hand == 4


def test_a_movement_into_an_unknown_warehouse_is_refused(db: Database, shop: TenantKeys) -> None:
    with pytest.raises(UnknownWarehouse):
        stock_up(db, shop, SKU, 5, warehouse="nowhere")


def test_an_order_reserves_its_lines_in_its_own_transaction(db: Database, shop: TenantKeys) -> None:
    stock_up(db, shop, SKU, 5)
    order_id = _order(db, shop, _line(qty=2))
    assert _level(db, shop) == (5, 2, 3)
    (hold,) = queries.order_reservations(db, shop.tenant_id, order_id)
    assert (hold.sku, hold.qty, hold.status) == (SKU, 2, "active")


def test_not_enough_stock_refuses_the_order_and_leaves_nothing_behind(
    db: Database, shop: TenantKeys
) -> None:
    stock_up(db, shop, SKU, 2)
    stock_up(db, shop, "OTHER", 9)
    ledger_before = _count(db, LedgerEntry)
    with pytest.raises(InsufficientStock) as raised:
        _order(db, shop, _line("OTHER", 1), _line(SKU, 3), external_id="TM-9")
    assert raised.value.details["lines"] == [{"sku": SKU, "requested": 3, "available": 2}]
    assert _count(db, Order) == _count(db, Reservation) == 0
    assert _count(db, LedgerEntry) == ledger_before
    assert _level(db, shop, "OTHER") == (9, 0, 9)


def test_two_lines_of_one_sku_are_checked_together(db: Database, shop: TenantKeys) -> None:
    stock_up(db, shop, SKU, 3)
    with pytest.raises(InsufficientStock) as raised:
        _order(db, shop, _line(qty=2), _line(qty=2))
    assert raised.value.details["lines"][0]["requested"] == 4
    _order(db, shop, _line(qty=2), _line(qty=1))
    assert _level(db, shop) == (3, 3, 0)


def test_an_unknown_sku_has_no_stock_to_sell(db: Database, shop: TenantKeys) -> None:
    with pytest.raises(InsufficientStock):
        _order(db, shop, _line("NEVER-STOCKED"))


def test_safety_stock_is_not_sold(db: Database, shop: TenantKeys) -> None:
    from oms.inventory.schemas import SafetyStockIn

    stock_up(db, shop, SKU, 5)
    service.set_safety_stock(db, shop.actor(), SKU, SafetyStockIn(safety_stock=4))
    assert _level(db, shop) == (5, 0, 1)
    with pytest.raises(InsufficientStock):
        _order(db, shop, _line(qty=2))
    _assert_verified(db)


def test_reservations_take_from_warehouses_in_priority_order(
    db: Database, shop: TenantKeys
) -> None:
    service.create_warehouse(db, shop.actor(), WarehouseIn(code="hz", name="杭州仓", priority=1))
    service.create_warehouse(db, shop.actor(), WarehouseIn(code="sz", name="深圳仓", priority=2))
    stock_up(db, shop, SKU, 2, warehouse="sz")
    stock_up(db, shop, SKU, 2, warehouse="hz")
    order_id = _order(db, shop, _line(qty=3))
    holds = sorted(
        (h.warehouse, h.qty) for h in queries.order_reservations(db, shop.tenant_id, order_id)
    )
    assert holds == [("hz", 2), ("sz", 1)]
    with pytest.raises(InsufficientStock):
        _order(db, shop, _line(qty=2), warehouse="sz")


def test_an_expired_reservation_never_blocks_a_sale_even_without_a_worker(
    db: Database, shop: TenantKeys, clock: ManualClock
) -> None:
    stock_up(db, shop, SKU, 1)
    first = _order(db, shop)
    with pytest.raises(InsufficientStock):
        _order(db, shop)
    clock.advance(timedelta(minutes=15))
    assert _level(db, shop) == (1, 0, 1)  # reads already count the hold as gone
    second = _order(db, shop)
    statuses = {h.status for h in queries.order_reservations(db, shop.tenant_id, first)}
    assert statuses == {"expired"}
    assert queries.order_reservations(db, shop.tenant_id, second)[0].status == "active"
    kinds = [e.kind for e in queries.ledger(db, shop.tenant_id, SKU)]
    assert kinds[:3] == ["reserve", "expire", "reserve"]
    _assert_verified(db)


def test_the_sweep_releases_expired_holds_nobody_touched(
    db: Database, shop: TenantKeys, clock: ManualClock
) -> None:
    stock_up(db, shop, SKU, 3)
    _order(db, shop, _line(qty=3))
    clock.advance(timedelta(minutes=15, seconds=1))
    assert service.sweep_expired_reservations(db) == 1
    assert queries.ledger(db, shop.tenant_id, SKU)[0].kind == "expire"
    with db.reader() as session:
        reserved = session.execute(text("SELECT SUM(reserved) FROM stock_items")).scalar()
    assert reserved == 0
    _assert_verified(db)


def test_cancelling_releases_the_orders_stock(db: Database, shop: TenantKeys) -> None:
    stock_up(db, shop, SKU, 3)
    order_id = _order(db, shop, _line(qty=2))
    _event(db, shop, order_id, "cancel")
    assert _level(db, shop) == (3, 0, 3)
    assert queries.order_reservations(db, shop.tenant_id, order_id)[0].status == "released"
    _assert_verified(db)


def test_the_payment_timeout_releases_the_orders_stock(
    db: Database, shop: TenantKeys, clock: ManualClock
) -> None:
    stock_up(db, shop, SKU, 3)
    order_id = _order(db, shop, _line(qty=2))
    clock.advance(timedelta(minutes=15))
    assert orders.apply_payment_timeout(db, tenant_id=shop.tenant_id, order_id=order_id)
    assert _level(db, shop) == (3, 0, 3)
    _assert_verified(db)


def test_paying_turns_holds_into_deductions(db: Database, shop: TenantKeys) -> None:
    stock_up(db, shop, SKU, 3)
    order_id = _order(db, shop, _line(qty=2))
    _event(db, shop, order_id, "pay")
    assert _level(db, shop) == (1, 0, 1)
    assert queries.order_reservations(db, shop.tenant_id, order_id)[0].status == "deducted"
    _assert_verified(db)


def test_a_late_payment_deducts_when_the_stock_is_still_there(
    db: Database, shop: TenantKeys, clock: ManualClock
) -> None:
    patient = make_tenant(db, name="Patient", stocked=False, payment_timeout_seconds=3600)
    stock_up(db, patient, SKU, 3)
    order_id = _order(db, patient, _line(qty=2))
    clock.advance(timedelta(minutes=20))  # the hold expired; the order may still be paid
    _event(db, patient, order_id, "pay")
    assert _level(db, patient) == (1, 0, 1)
    statuses = sorted(h.status for h in queries.order_reservations(db, patient.tenant_id, order_id))
    assert statuses == ["deducted", "expired"]
    _assert_verified(db)


def test_a_late_payment_without_stock_is_paid_and_its_lapsed_line_waits_short(
    db: Database, clock: ManualClock
) -> None:
    patient = make_tenant(db, name="Patient", stocked=False, payment_timeout_seconds=3600)
    stock_up(db, patient, SKU, 2)
    stock_up(db, patient, "SIDE", 5)
    late = _order(db, patient, _line(qty=2), _line("SIDE", 1))
    clock.advance(timedelta(minutes=20))
    _order(db, patient, _line(qty=2))  # someone else takes the units after the hold lapsed
    _event(db, patient, late, "pay")
    paid = order_queries.get_order(db, patient.tenant_id, late)
    assert (paid.status, paid.exception_code) == (OrderStatus.PAID, "stock_shortage")
    assert paid.stock_shortage and [line.short_qty for line in paid.lines] == [2, 0]
    assert _level(db, patient, "SIDE") == (4, 0, 4)  # the line that had stock keeps it
    # The ticket and its alert open in the pay transaction itself, no job needed.
    (ticket,) = list_tickets(db, patient.tenant_id, order_id=late)
    assert (ticket.kind, ticket.status) == ("stock_shortage", "open")
    assert ticket.details["lines"] == [{"line_no": 1, "sku": SKU, "qty": 2, "short": 2}]
    with db.reader() as session:
        alerts = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.topic == "alert.raised")
        )
    assert alerts == 1
    _assert_balanced(db, patient)
    _assert_verified(db)


def _assert_balanced(db: Database, shop: TenantKeys) -> None:
    """Every paid order holds deducted stock for every unit that is not short, and an order
    with short units has an open ticket."""
    page = order_queries.list_orders(
        db,
        shop.tenant_id,
        order_queries.OrderFilter(statuses=[OrderStatus.PAID], limit=200),
        overlap_s=0,
    ).page
    for order in page.items:
        holds = queries.order_reservations(db, shop.tenant_id, order.id)
        deducted = sum(h.qty for h in holds if h.status == "deducted")
        short = sum(line.short_qty for line in order.lines)
        assert deducted + short == sum(line.qty for line in order.lines), order.order_no
        assert not any(h.status == "active" for h in holds)
        assert order.stock_shortage == (short > 0)
        if short:
            tickets = list_tickets(db, shop.tenant_id, order_id=order.id, status="open")
            assert tickets, order.order_no


def test_verify_reports_a_balance_that_disagrees_with_the_ledger(
    db: Database, shop: TenantKeys
) -> None:
    stock_up(db, shop, SKU, 5)
    with db.uow() as uow:
        uow.session.execute(text("UPDATE stock_items SET on_hand = 7"))
        uow.commit()
    _, drifts = queries.verify_stock(db)
    assert [(d.sku, d.on_hand, d.ledger_on_hand) for d in drifts] == [(SKU, 7, 5)]


def test_an_expected_version_is_checked_before_overdue_holds_are_released(
    db: Database, shop: TenantKeys, clock: ManualClock
) -> None:
    """Releasing an overdue hold is our own write, not a concurrent change by someone else."""
    stock_up(db, shop, SKU, 5)
    _order(db, shop, _line(qty=2))
    seen = queries.stock_levels(db, shop.tenant_id, [SKU])[0].warehouses[0].version
    clock.advance(timedelta(minutes=20))
    move = MovementIn(sku=SKU, kind=MovementKind.DEDUCT, qty=5, expected_version=seen)
    assert service.record_movement(db, shop.actor(), move).stock.on_hand == 0
    _assert_verified(db)
