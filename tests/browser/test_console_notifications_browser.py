"""Buyer notification rules in a real Chromium: ops writes a rule, sees a broken Liquid
template refused with its error, previews the fixed rule against an order number, saves it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveConsole, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_ops_writes_a_rule_previews_it_and_sees_a_broken_template_refused(
    page: Page, live_console: LiveConsole
) -> None:
    order_no = live_console.orders["wang"]["order_no"]
    sign_in(page, live_console, live_console.ops_email)
    page.click("a[data-nav=notifications]")
    expect(page.locator("h1")).to_have_text("买家通知")
    form = page.locator("#notification-form")
    form.locator("input[name=name]").fill("browser-shipped")
    form.locator("select[name=node]").select_option("shipped")
    form.locator("select[name=channel]").select_option("sms")
    form.locator("textarea[name=template]").fill("{% if order.no %}订单 {{ order.no }}")
    form.locator("button[data-action=save-notification-rule]").click()
    error = page.locator("#rule-error")
    expect(error).to_have_attribute("data-code", "ERR_NOTIFICATION_TEMPLATE_INVALID")
    expect(error).to_contain_text("expected tag endif")
    screenshot(page, "notification-template-refused")
    expect(page.locator("#notification-rules tr[data-rule='browser-shipped']")).to_have_count(0)

    form = page.locator("#notification-form")
    form.locator("textarea[name=template]").fill(
        "订单 {{ order.no }} 共 {{ items | size }} 种商品 金额 {{ order.total_yuan }} 元"
    )
    form.locator("input[name=order_no]").fill(order_no)
    form.locator("button[data-action=preview-notification-rule]").click()
    preview = page.locator("#notification-preview")
    expect(preview).to_contain_text(f"订单 {order_no} 共 2 种商品")
    screenshot(page, "notification-preview")

    page.locator("#notification-form button[data-action=save-notification-rule]").click()
    expect(page.locator("p.flash.ok")).to_have_attribute("data-done", "rule_saved")
    expect(page.locator("#notification-rules tr[data-rule='browser-shipped']")).to_have_count(1)
