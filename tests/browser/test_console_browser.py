"""The console in a real Chromium against a real ``oms serve``."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveConsole, screenshot, sign_in
from tests.fixtures.orders import order_payload

pytestmark = pytest.mark.browser


def _csrf(page: Page) -> str:
    token = page.locator("form[action='/console/logout'] input[name=csrf_token]").input_value()
    assert token
    return token


def _paid_order(console: LiveConsole) -> dict[str, str]:
    """A paid order of this test's own (the shared ones may have been planned, held or shipped
    by other tests by now), with a buyer no risk rule has seen before."""
    headers = {"Authorization": f"Bearer {console.api_key}"}
    payload = order_payload(
        buyer={"id": "b-warehouse-view", "name": "陈静", "phone": "13700137011"},
        shipping_address={"province": "四川省", "city": "成都市", "line1": "春熙路 9 号"},
    )
    created = httpx.post(f"{console.base_url}/api/v1/orders", json=payload, headers=headers)
    created.raise_for_status()
    order: dict[str, str] = created.json()
    paid = httpx.post(
        f"{console.base_url}/api/v1/orders/{order['id']}/events",
        json={"event": "pay"},
        headers=headers,
    )
    paid.raise_for_status()
    return order


def test_an_operator_finds_an_order_by_phone_suffix_and_applies_an_event(
    page: Page, live_console: LiveConsole
) -> None:
    page.goto(f"{live_console.base_url}/console")
    expect(page.locator("h1")).to_have_text("登录")
    screenshot(page, "login")
    sign_in(page, live_console, live_console.ops_email)
    # The three seeded orders and the two of the stock shortage (tests/browser/shortage.py).
    expect(page.locator("tr[data-order-id]")).to_have_count(5)
    screenshot(page, "orders")

    page.fill("input[name=q]", "5678")
    page.press("input[name=q]", "Enter")
    rows = page.locator("tr[data-order-id]")
    expect(rows).to_have_count(1)
    expect(rows.locator(".phone")).to_have_text("139****5678")
    order = live_console.orders["li"]
    rows.get_by_role("link", name=order["order_no"]).click()
    page.wait_for_url(f"**/console/orders/{order['id']}")

    panel = page.locator("#provenance")
    expect(panel.get_by_role("heading")).to_have_text("状态溯源面板")
    expect(panel.locator("tbody tr").first).to_contain_text("创建订单")
    # Other tests drain the shared console's jobs, so the risk assessment may be here too.
    expect(panel.locator("tbody tr[data-event=pay]")).to_have_count(0)
    before = panel.locator("tbody tr").count()
    screenshot(page, "order-before")

    page.click("button[data-event=pay]")
    page.wait_for_url("**outcome=applied")
    expect(page.locator(".flash.ok")).to_contain_text("已生效")
    entries = panel.locator("tbody tr")
    expect(entries).to_have_count(before + 1)
    newest = entries.last
    expect(newest).to_have_attribute("data-event", "pay")
    expect(newest).to_contain_text("待付款 → 待发货")
    expect(newest).to_contain_text("已生效")
    expect(newest.locator(".actor")).to_contain_text(live_console.ops_email)  # by name
    expect(page.locator("[data-status]").first).to_have_text("待发货")
    screenshot(page, "order-after")

    page.click("a[data-nav=jobs]")
    expect(page.locator("h1")).to_have_text("后台任务")
    screenshot(page, "jobs")


def test_a_warehouse_user_has_no_pay_button_and_is_refused_when_posting_anyway(
    page: Page, live_console: LiveConsole
) -> None:
    sign_in(page, live_console, live_console.warehouse_email)
    expect(page.locator("a[data-nav=jobs]")).to_have_count(0)
    order = live_console.orders["wang"]
    url = f"{live_console.base_url}/console/orders/{order['id']}"
    page.goto(url)
    expect(page.locator("button[data-event]")).to_have_count(0)
    screenshot(page, "order-warehouse")

    events = f"{url}/events"
    refused = page.request.post(events, form={"event": "pay", "csrf_token": _csrf(page)})
    assert refused.status == 403
    assert "ERR_AUTH_FORBIDDEN" in refused.text()
    page.reload()
    newest = page.locator("#provenance tbody tr").last
    expect(newest).to_have_attribute("data-outcome", "rejected")
    expect(newest).to_contain_text("ERR_AUTH_FORBIDDEN")

    paid = _paid_order(live_console)
    page.goto(f"{live_console.base_url}/console/orders/{paid['id']}")
    buttons = page.locator("button[data-event]")
    expect(buttons).to_have_count(2)
    expect(page.locator("button[data-event=cancel]")).to_have_count(0)
    no_csrf = page.request.post(
        f"{live_console.base_url}/console/orders/{paid['id']}/events", form={"event": "ship"}
    )
    assert no_csrf.status == 403
    assert "ERR_AUTH_CSRF_FAILED" in no_csrf.text()


def test_the_console_renders_in_english_after_switching_language(
    page: Page, live_console: LiveConsole
) -> None:
    sign_in(page, live_console, live_console.ops_email)
    expect(page.locator("h1")).to_have_text("订单")
    page.select_option("select[name=locale]", "en")
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Orders")
    expect(page.locator("a[data-nav=jobs]")).to_have_text("Jobs")
    screenshot(page, "orders-en")
    page.click("tr[data-order-id] a")
    expect(page.locator("#provenance h2")).to_have_text("State provenance panel")
    screenshot(page, "order-en")
    page.select_option("select[name=locale]", "zh-CN")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_the_orders_page_works_on_a_phone(page: Page, live_console: LiveConsole) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_console, live_console.ops_email)
    expect(page.locator("tr[data-order-id]").first).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    screenshot(page, "orders-phone")
