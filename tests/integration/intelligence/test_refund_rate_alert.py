"""The hourly refund-rate alert on real orders and refunds, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from oms.config import Settings
from oms.core.clock import ManualClock
from oms.core.models import OutboxMessage
from oms.core.uow import Database
from oms.intelligence.rca import alerting
from oms.jobs_wiring import build_registry
from oms.orders import service as orders
from oms.orders.schemas import OrderEventIn
from oms.refunds import service as refunds
from oms.refunds.schemas import RefundIn
from tests.fixtures.orders import order_create
from tests.fixtures.tenants import TenantKeys, stock_up

SKUS = ("GIFT-A", "GIFT-B", "GIFT-C", "GIFT-D", "GIFT-E")


@pytest.fixture(autouse=True)
def _stocked(db: Database, tenant: TenantKeys) -> None:
    for sku in SKUS:
        stock_up(db, tenant, sku, 1000)


def _sell(db: Database, tenant: TenantKeys, sku: str, *, refunded: bool) -> None:
    line = {"sku": sku, "name": sku, "qty": 1, "unit_price": 10000}
    placed = orders.place_order(db, tenant.actor(), order_create(lines=[line]))
    pay = OrderEventIn.model_validate({"event": "pay", "source": "gateway:alipay"})
    orders.apply_event(db, tenant.actor(), placed.order.id, pay)
    if refunded:
        ask = RefundIn(order_id=placed.order.id, whole_order=True, reason="damaged_in_transit")
        refunds.request_refund(db, tenant.actor(), ask)


def _day(db: Database, tenant: TenantKeys, *, per_sku: int, refunds_of: dict[str, int]) -> None:
    for sku in SKUS:
        for index in range(per_sku):
            _sell(db, tenant, sku, refunded=index < refunds_of.get(sku, 0))


def _alerts(db: Database) -> list[dict[str, object]]:
    with db.reader() as session:
        stmt = select(OutboxMessage.payload).where(OutboxMessage.topic == "alert.raised")
        return [dict(p) for p in session.scalars(stmt)]


def test_a_refund_rise_of_one_sku_raises_an_alert_naming_that_sku(
    db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    _day(db, tenant, per_sku=40, refunds_of=dict.fromkeys(SKUS, 2))
    clock.advance(timedelta(days=3))
    _day(db, tenant, per_sku=20, refunds_of={"GIFT-A": 1, "GIFT-B": 1, "GIFT-C": 18, "GIFT-D": 1})
    clock.advance(timedelta(hours=1))

    assert alerting.sweep_refund_rates(db) == 1

    [alert] = _alerts(db)
    assert alert["type"] == alerting.REFUND_RATE_ALERT
    assert alert["channel"] == "tmall"
    assert (alert["orders"], alert["refunds"]) == (100, 21)
    assert alert["baseline_rate"] == 0.05
    causes = alert["causes"]
    assert isinstance(causes, list)
    assert [c["attributes"] for c in causes] == [{"sku": "GIFT-C"}]
    assert causes[0]["evidence"]["refunds"] == 18
    assert causes[0]["share"] > 0.8


def test_a_rate_within_the_gate_raises_nothing(
    db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    _day(db, tenant, per_sku=40, refunds_of=dict.fromkeys(SKUS, 4))
    clock.advance(timedelta(days=3))
    # 10 % against a 10 % baseline, though one SKU holds all of the window's refunds.
    _day(db, tenant, per_sku=20, refunds_of={"GIFT-C": 10})
    clock.advance(timedelta(hours=1))

    rates = alerting.channel_rates(db, tenant.tenant_id, now=clock.now())
    assert [(r.channel, r.orders, r.refunds, r.is_rise) for r in rates] == [
        ("tmall", 100, 10, False)
    ]
    assert alerting.check_refund_rates(db, tenant.tenant_id) == []
    assert _alerts(db) == []


def test_a_rise_with_too_few_refunds_is_not_significant(
    db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    _day(db, tenant, per_sku=8, refunds_of={"GIFT-A": 1, "GIFT-B": 1})
    clock.advance(timedelta(days=3))
    _day(db, tenant, per_sku=4, refunds_of={"GIFT-C": 3})
    clock.advance(timedelta(hours=1))

    [rate] = alerting.channel_rates(db, tenant.tenant_id, now=clock.now())
    assert rate.rate > alerting.RISE * rate.baseline_rate
    assert not rate.is_rise
    assert alerting.check_refund_rates(db, tenant.tenant_id) == []


def test_the_application_runs_the_check_every_hour() -> None:
    sweeps = build_registry(Settings(env="test")).sweeps
    assert sweeps["refund-rate-rca"].interval_seconds == 3600
    assert sweeps["refund-rate-rca"].task is alerting.sweep_refund_rates
