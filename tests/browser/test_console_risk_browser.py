"""The risk desk in a real Chromium: an ops reviewer sees why an order of an IP burst was held
(its facts), releases it with a reason, and the order is paid again."""

from __future__ import annotations

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
