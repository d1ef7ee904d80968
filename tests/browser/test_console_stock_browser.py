"""The stock and ticket pages in a real Chromium against a real ``oms serve``."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveConsole, screenshot, sign_in
from tests.browser.shortage import SCARCE_SKU

pytestmark = pytest.mark.browser


def test_a_warehouse_user_receives_stock_and_sees_the_new_ledger_row(
    page: Page, live_console: LiveConsole
) -> None:
    sign_in(page, live_console, live_console.warehouse_email)
    page.click("a[data-nav=stock]")
    expect(page.locator("h1")).to_have_text("库存")
    page.fill("input[name=sku]", "TEA-LJ-250, CUP-GLS-300")
    page.press("input[name=sku]", "Enter")
    expect(page.locator("tbody[data-sku]")).to_have_count(2)
    screenshot(page, "stock-search")

    page.click("tbody[data-sku=TEA-LJ-250] a")
    page.wait_for_url("**/console/stock/TEA-LJ-250")
    total = page.locator("tbody[data-sku=TEA-LJ-250] tr.level-total")
    on_hand = int(total.locator("[data-field=on_hand]").inner_text())
    ledger = page.locator("#ledger tbody tr")
    rows_before = ledger.count()
    screenshot(page, "stock")

    form = page.locator("#movement")
    form.locator("select[name=kind]").select_option("inbound")
    form.locator("input[name=qty]").fill("24")
    form.locator("input[name=reason]").fill("采购到货")
    form.get_by_role("button").click()
    page.wait_for_url("**recorded=**")
    expect(page.locator(".flash.ok")).to_contain_text("库存变动已记录")
    expect(ledger).to_have_count(min(rows_before + 1, 100))
    newest = ledger.first
    expect(newest).to_have_attribute("data-kind", "inbound")
    expect(newest).to_have_class(re.compile("highlight"))
    expect(newest).to_contain_text("入库")
    expect(newest).to_contain_text("+24")
    expect(newest).to_contain_text("采购到货")
    expect(newest.locator(".actor")).to_contain_text("user:")
    expect(total.locator("[data-field=on_hand]")).to_have_text(str(on_hand + 24))
    screenshot(page, "stock-after-inbound")


def test_an_operator_resolves_a_stock_shortage_ticket_from_the_queue(
    page: Page, live_console: LiveConsole
) -> None:
    sign_in(page, live_console, live_console.ops_email)
    page.goto(f"{live_console.base_url}/console/orders/{live_console.shortage_order_id}")
    warning = page.locator("[data-exception=stock_shortage]")
    expect(warning).to_contain_text("库存不足")
    expect(page.locator("#holds tbody tr")).to_have_count(1)
    screenshot(page, "order-shortage")

    page.click("a[data-nav=tickets]")
    expect(page.locator("h1")).to_have_text("异常工单")
    # The live console is shared: other tests' tickets (a stalled parcel, say) may be queued
    # for ops too, so the shortage's row is picked by its kind.
    row = page.locator("tr[data-ticket-id]").filter(has_text="库存不足")
    expect(row).to_have_count(1)
    expect(row.locator(".age")).to_have_text(re.compile(r"^\d+ 分钟$"))
    screenshot(page, "tickets")

    row.get_by_role("link").click()
    expect(page.locator("#short-lines tbody tr")).to_have_attribute("data-sku", SCARCE_SKU)
    screenshot(page, "ticket")
    page.select_option("#assign select[name=assignee]", live_console.ops_email)
    page.click("#assign button")
    page.wait_for_url("**done=assigned")
    expect(page.locator("[data-ticket-status]")).to_have_text("已指派")

    resolve = page.locator("#resolve")
    resolve.locator("textarea[name=resolution]").fill("紧急补货 1 件")
    expect(resolve.locator("input[name=sku]")).to_have_value(SCARCE_SKU)
    resolve.locator("input[name=qty]").fill("1")
    resolve.locator("button[data-action=resolve]").click()
    page.wait_for_url("**done=resolved")
    expect(page.locator("[data-ticket-status]")).to_have_text("处理完成")
    expect(page.locator("#comments li")).to_have_count(2)
    screenshot(page, "ticket-resolved")

    page.click("a[data-nav=tickets]")
    expect(page.locator("tr[data-ticket-id]").filter(has_text="库存不足")).to_have_count(0)
