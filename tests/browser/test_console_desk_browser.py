"""The stock list in a real Chromium: a warehouse user finds the SKUs below safety stock and
corrects one from the list; screenshots at 1280 and 390 px in Chinese and English."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveConsole, screenshot, sign_in

pytestmark = pytest.mark.browser

LOW_SKU = "DESK-LOW-1"


def _low_sku(console: LiveConsole) -> None:
    """Five units of a SKU that must keep four back: one available, below its safety stock."""
    headers = {"Authorization": f"Bearer {console.api_key}"}
    movement = {"sku": LOW_SKU, "kind": "inbound", "qty": 5}
    httpx.post(f"{console.base_url}/api/v1/stock/movements", json=movement, headers=headers)
    safety = httpx.put(
        f"{console.base_url}/api/v1/stock/{LOW_SKU}/safety-stock",
        json={"safety_stock": 4},
        headers=headers,
    )
    safety.raise_for_status()


def _shots(page: Page, name: str) -> None:
    screenshot(page, f"{name}-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, f"{name}-390")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{name} overflows a phone: {width} px"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_warehouse_user_lists_skus_below_safety_stock_and_corrects_one(
    page: Page, live_console: LiveConsole
) -> None:
    _low_sku(live_console)
    sign_in(page, live_console, live_console.warehouse_email)
    page.click("a[data-nav=stock]")
    expect(page.locator("#sku-list tbody[data-sku]").first).to_be_visible()
    page.check("#stock-filters input[name=below_safety]")
    page.click("#stock-filters button[type=submit]")
    page.wait_for_url("**below_safety=1**")
    row = page.locator(f"#sku-list tbody[data-sku={LOW_SKU}]")
    expect(row).to_be_visible()
    expect(row.locator("[data-field=available]").first).to_have_text("1")
    _shots(page, "stock-list-zh-CN")

    row.locator("summary").click()
    row.locator("input[name=qty]").fill("10")
    row.locator("input[name=reason]").fill("盘点更正")
    row.locator("button[type=submit]").click()
    page.wait_for_url("**done=recorded**")
    expect(page.locator(".flash.ok")).to_contain_text("库存变动已记录")
    expect(page.locator(f"#sku-list tbody[data-sku={LOW_SKU}]")).to_have_count(0)

    page.select_option("select[name=locale]", "en")
    page.wait_for_load_state()
    expect(page.locator("#sku-list h2")).to_have_text("All SKUs")
    _shots(page, "stock-list-en")
    page.select_option("select[name=locale]", "zh-CN")  # the other browser tests read Chinese
    page.wait_for_load_state()
    expect(page.locator("#sku-list h2")).to_have_text("全部 SKU")
