"""The orders workspace in a real Chromium: customer service finds an order by the buyer's
name, reads why another was cancelled, sees its payments, refunds and shipments and requests
a refund of one line through the confirmation step; operations filter 待发货 > 24 h and hold
two orders with a reason after confirming. Screenshots at 1280 and 390 px, in Chinese and English.

The seed is a tenant of its own (the shared one belongs to the other browser tests), and the
orders awaiting shipment were paid 30 hours ago by a clock set back for the seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from oms.core.auth import create_tenant
from oms.core.clock import Clock, ManualClock, SystemClock
from oms.core.context import Actor
from oms.core.db import make_engine
from oms.core.uow import Database
from oms.fulfilment import service as fulfilment
from oms.fulfilment.schemas import ShipmentIn
from oms.inventory.schemas import MovementIn
from oms.inventory.service import record_movement
from oms.inventory.states import MovementKind
from oms.orders import service as orders
from oms.orders.schemas import OrderEventIn
from oms.orders.states import OrderEvent
from oms.users.service import create_user
from tests.browser.conftest import PASSWORD, LiveConsole, screenshot, sign_in
from tests.fixtures.orders import order_create, order_payload

pytestmark = pytest.mark.browser

WIDTHS = (1280, 390)


@dataclass(frozen=True)
class Workspace:
    service_email: str
    ops_email: str
    cancelled_id: str
    shipped_id: str
    overdue_ids: list[str]


def _place(db: Database, actor: Actor, buyer: str, *events: OrderEvent, reason: str = "") -> str:
    order_id = orders.place_order(db, actor, order_create(buyer={"name": buyer})).order.id
    for event in events:
        command = OrderEventIn(event=event, source="console", reason=reason or None)
        orders.apply_event(db, actor, order_id, command)
    return order_id


def _seed(console: LiveConsole) -> Workspace:
    engine = make_engine(console.database_url)
    clock: Clock = SystemClock()
    try:
        db = Database(engine, clock)
        tenant = create_tenant(db, name="工作台测试店", payment_timeout_seconds=3600)
        actor = Actor(tenant.tenant_id, f"apikey:{tenant.admin_key.key_id}", "admin")
        for line in order_payload()["lines"]:
            movement = MovementIn(sku=line["sku"], kind=MovementKind.INBOUND, qty=1000)
            record_movement(db, actor, movement)
        emails = {
            role: f"{role}-ws-{tenant.tenant_id[-6:]}@browser.test" for role in ("service", "ops")
        }
        for role, email in emails.items():
            create_user(db, tenant_id=tenant.tenant_id, email=email, password=PASSWORD, role=role)
        cancelled = _place(db, actor, "赵敏", OrderEvent.CANCEL, reason="buyer_request: 拍错了")
        shipped = _place(db, actor, "赵敏", OrderEvent.PAY)
        parcel = ShipmentIn(
            order_id=shipped,
            warehouse="main",
            carrier="sf",
            tracking_no="SF7700112233",
            lines=[{"sku": line["sku"], "qty": line["qty"]} for line in order_payload()["lines"]],
        )
        fulfilment.record_shipment(db, actor, parcel)
        past = Database(engine, ManualClock(SystemClock().now() - timedelta(hours=30)))
        overdue = [_place(past, actor, name, OrderEvent.PAY) for name in ("周杰", "吴芳")]
        _place(db, actor, "郑洁", OrderEvent.PAY)  # paid just now: not overdue
        return Workspace(emails["service"], emails["ops"], cancelled, shipped, overdue)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def workspace(live_console: LiveConsole) -> Workspace:
    return _seed(live_console)


def _screens(page: Page, name: str) -> None:
    """The page at desktop and phone widths, then back to desktop."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"{name}-{page.locator('html').get_attribute('lang')}-{width}")
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def _switch_language(page: Page, locale: str) -> None:
    page.select_option("select[name=locale]", locale)
    expect(page.locator("html")).to_have_attribute("lang", locale)


def test_service_finds_an_order_by_buyer_reads_the_cancel_reason_and_requests_a_refund(
    page: Page, live_console: LiveConsole, workspace: Workspace
) -> None:
    sign_in(page, live_console, workspace.service_email)
    page.fill("input[name=q]", "赵敏")
    page.press("input[name=q]", "Enter")
    rows = page.locator("tr[data-order-id]")
    expect(rows).to_have_count(2)
    expect(rows.locator("td.buyer").first).to_have_text("赵敏")

    page.locator(f"tr[data-order-id='{workspace.cancelled_id}'] a").click()
    reason = page.locator("#cancel-reason")
    expect(reason).to_contain_text("买家要求取消")
    expect(reason).to_contain_text("拍错了")
    expect(page.locator("#timeline tbody tr").last.locator(".reason")).to_contain_text("拍错了")
    expect(page.locator("#timeline .actor").last).not_to_contain_text("apikey:")
    _screens(page, "order-cancelled")

    page.go_back()
    page.locator(f"tr[data-order-id='{workspace.shipped_id}'] a").click()
    for section in ("payments", "refunds", "shipments", "holds", "notes", "timeline"):
        expect(page.locator(f"#{section}")).to_be_visible()
    expect(page.locator("#shipments tbody tr")).to_contain_text("SF7700112233")

    # One line: the cracked cup (1 at ¥69.00), not the tea.
    form = page.locator("form#refund-request")
    expect(form.locator("input[name=qty][data-sku='CUP-GLS-300']")).to_have_attribute("max", "1")
    form.locator("input[name=qty][data-sku='CUP-GLS-300']").fill("1")
    form.locator("select[name=reason]").select_option("quality")
    form.locator("input[name=note]").fill("杯子有裂纹")
    form.locator("button[type=submit]").click()
    confirm = page.locator("#refund-confirm")
    expect(confirm.locator("tr[data-sku]")).to_have_count(1)
    expect(confirm.locator("tr[data-sku='CUP-GLS-300']")).to_have_attribute("data-qty", "1")
    expect(confirm.locator("dd[data-scope=lines]")).to_contain_text("¥69.00")
    expect(page.locator("#refunds table.refunds tbody tr")).to_have_count(0)  # nothing sent yet
    _screens(page, "order-refund-confirm")
    confirm.locator("button[data-confirm=refund]").click()
    expect(page.locator("p.flash.ok")).to_have_attribute("data-done", "refund_requested")
    refund = page.locator("#refunds table.refunds tbody tr")
    expect(refund).to_have_count(1)
    expect(refund).to_have_attribute("data-status", "requested")
    expect(refund).to_contain_text("¥69.00")
    left = page.locator("form#refund-request input[name=qty][data-sku='CUP-GLS-300']")
    expect(left).to_have_attribute("max", "0")  # the cup is claimed now
    _screens(page, "order-workspace")
    _switch_language(page, "en")
    expect(page.locator("#refunds h2")).to_have_text("Refunds")
    _screens(page, "order-workspace")
    _switch_language(page, "zh-CN")


def test_ops_filter_awaiting_shipment_over_24_hours_and_hold_two_with_a_reason(
    page: Page, live_console: LiveConsole, workspace: Workspace
) -> None:
    sign_in(page, live_console, workspace.ops_email)
    page.click("a[data-tab=unshipped_24h]")
    rows = page.locator("tr[data-order-id]")
    expect(rows).to_have_count(2)
    _screens(page, "orders-unshipped")
    for order_id in workspace.overdue_ids:
        page.check(f"tr[data-order-id='{order_id}'] input[name=order_id]")
    page.locator("#bulk-actions button[data-bulk-action=hold]").click()
    confirm = page.locator("#bulk-confirm")
    expect(confirm.locator("tr[data-order-id]")).to_have_count(2)
    for order_id in workspace.overdue_ids:  # nothing held before the confirmation
        expect(confirm.locator(f"tr[data-order-id='{order_id}']")).to_have_attribute(
            "data-status", "paid"
        )
    confirm.locator("select[name=reason_code]").select_option("address_check")
    confirm.locator("input[name=reason_text]").fill("地址待核实")
    _screens(page, "orders-bulk-confirm")
    confirm.locator("button[data-confirm=bulk-hold]").click()
    done = page.locator("p.flash[data-bulk=hold]")
    expect(done).to_have_attribute("data-ok", "2")
    expect(done).to_have_attribute("data-failed", "0")
    for order_id in workspace.overdue_ids:
        expect(page.locator(f"tr[data-order-id='{order_id}']")).to_have_attribute(
            "data-status", "on_hold"
        )
    _screens(page, "orders-held")
    page.locator(f"tr[data-order-id='{workspace.overdue_ids[0]}'] a").click()
    newest = page.locator("#timeline tbody tr").last
    expect(newest).to_have_attribute("data-event", "hold")
    expect(newest.locator(".reason")).to_contain_text("待核实地址")
    expect(newest.locator(".actor")).to_contain_text(workspace.ops_email)
    page.go_back()
    _switch_language(page, "en")
    expect(page.locator("a[data-tab=unshipped_24h]")).to_contain_text("Awaiting shipment > 24 h")
    _screens(page, "orders-held")
    _switch_language(page, "zh-CN")
