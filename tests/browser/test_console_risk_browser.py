"""The risk desk in a real Chromium: an ops reviewer sees why an order of an IP burst was held
(its facts), releases it with a reason, and the order is paid again; and sees a parcel the
delay model flagged and accepts its suggestion, which the order's timeline records."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from oms.core.clock import SystemClock
from oms.core.context import Actor
from oms.core.db import make_engine
from oms.core.uow import Database
from oms.orders import queries as order_queries
from oms.orders import service as orders
from oms.orders.schemas import OrderEventIn
from oms.orders.states import OrderEvent
from oms.risk import delays
from oms.risk import service as risk
from tests.browser.conftest import LiveConsole, screenshot, sign_in
from tests.fixtures.orders import order_create
from tests.fixtures.risk import distinct_buyer

pytestmark = pytest.mark.browser

BURST_IP = "203.0.113.50"


def _seed_burst(console: LiveConsole) -> str:
    """Five buyers' orders from one IP (the server runs no worker: assessed here); the fifth
    is paid, so the ip_burst rule holds it."""
    engine = make_engine(console.database_url)
    db = Database(engine, SystemClock())
    actor = Actor(console.tenant_id, "test:seed", "admin")
    try:
        ids = []
        for n in range(5):
            data = order_create(**distinct_buyer(500 + n, ip=BURST_IP))
            ids.append(orders.place_order(db, actor, data).order.id)
        orders.apply_event(db, actor, ids[-1], OrderEventIn(event=OrderEvent.PAY))
        for order_id in ids:
            risk.assess_order(db, console.tenant_id, order_id)
        return ids[-1]
    finally:
        engine.dispose()


def _status(console: LiveConsole, order_id: str) -> str:
    engine = make_engine(console.database_url)
    try:
        db = Database(engine, SystemClock())
        return str(order_queries.get_order(db, console.tenant_id, order_id).status)
    finally:
        engine.dispose()


def test_a_reviewer_sees_a_held_orders_facts_and_releases_it(
    page: Page, live_console: LiveConsole
) -> None:
    held = _seed_burst(live_console)
    assert _status(live_console, held) == "on_hold"
    sign_in(page, live_console, live_console.ops_email)
    page.click("a[data-nav=risk]")
    expect(page.locator("h1")).to_have_text("风控审核")
    row = page.locator(f"#risk-queue tr[data-order-id='{held}']")
    expect(row.locator("li.fact[data-sentiment=raises]").first).to_contain_text(
        "5 orders from the same IP address in 10 minutes"
    )
    expect(row).to_contain_text("ip_burst")
    screenshot(page, "risk-queue")
    release = row.locator("form[action$='/release']")
    release.locator("input[name=reason]").fill("已电话核实买家")
    release.locator("button[data-action=release]").click()
    expect(page.locator("p.flash.ok")).to_have_attribute("data-done", "released")
    expect(page.locator(f"#risk-queue tr[data-order-id='{held}']")).to_have_count(0)
    screenshot(page, "risk-released")
    assert _status(live_console, held) == "paid"


def _seed_delay_flag(console: LiveConsole, tmp: Path) -> tuple[str, str]:
    """An order of its own buyer with a parcel the delay model flagged at 96 %."""
    engine = make_engine(console.database_url)
    db = Database(engine, SystemClock())
    actor = Actor(console.tenant_id, "test:seed", "admin")
    try:
        order_id = orders.place_order(db, actor, order_create(**distinct_buyer(760))).order.id
        shipment = f"SHIP-DELAY-{order_id[-8:]}"
        inp, flags = tmp / "X.csv", tmp / "F.csv"
        inp.write_text(
            f"parcel_id,order_id,carrier,origin_city,dest_city\n{shipment},{order_id},ZTO,杭州,乌鲁木齐\n",
            encoding="utf-8",
        )
        flags.write_text(
            "parcel_id,p_late,reasons,action\n"
            f'{shipment},0.96,"carrier=ZTO (+0.91); outlet_load=412 (+0.40)",'
            "switch to a faster carrier or service\n",
            encoding="utf-8",
        )
        delays.record_flags(db, console.tenant_id, inp, flags)
        return order_id, shipment
    finally:
        engine.dispose()


def test_ops_sees_a_parcel_likely_to_be_late_and_accepts_the_suggestion(
    page: Page, live_console: LiveConsole, tmp_path: Path
) -> None:
    order_id, shipment = _seed_delay_flag(live_console, tmp_path)
    sign_in(page, live_console, live_console.ops_email)
    page.click("a[data-nav=risk]")
    row = page.locator(f"#risk-delays tr[data-shipment-id='{shipment}']")
    expect(row).to_contain_text("96%")
    expect(row).to_contain_text("ZTO")
    expect(row).to_contain_text("杭州 → 乌鲁木齐")
    expect(row).to_contain_text("改用更快的承运商或服务")
    expect(row).to_have_attribute("data-decided", "open")
    screenshot(page, "risk-delays")
    row.locator("input[name=action]").fill("改发顺丰")
    row.locator("button[data-action=accept-delay]").click()
    expect(page.locator("p.flash.ok")).to_have_attribute("data-done", "delay_decided")
    row = page.locator(f"#risk-delays tr[data-shipment-id='{shipment}']")
    expect(row).to_have_attribute("data-decided", "accepted")
    expect(row.locator("p.decision")).to_contain_text("已采纳建议: 改发顺丰")
    page.goto(f"{live_console.base_url}/console/orders/{order_id}")
    expect(page.locator("tr[data-event=delay_suggestion_decided]")).to_contain_text(
        "延误建议已处理"
    )
    screenshot(page, "risk-delay-accepted")
