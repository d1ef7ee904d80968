"""The buyer opens the public tracking page on a phone (390 px, zh-CN) and sees the scans and
the arrival window; a console user copies the link from the order page. The parcel is shipped
through the API and scanned through the signed generic tracking push."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from oms.config import Settings
from oms.core.clock import ManualClock, SystemClock
from oms.core.db import make_engine
from oms.core.uow import Database
from tests.browser.checks import page_problems
from tests.browser.conftest import LiveConsole, new_page, screenshot, sign_in
from tests.browser.test_console_fulfilment_browser import _configure_generic
from tests.fixtures.jobs import app_worker
from tests.fixtures.orders import order_payload
from tests.fixtures.tracking import WHSEC, generic_push, scan_event

pytestmark = pytest.mark.browser

TRACKING_NO = "SF880000ETA1"
SCAN_TEXT = "快件已到达上海浦东转运中心"


def _scanned_parcel(console: LiveConsole) -> str:
    """A paid order of its own buyer, shipped as one parcel with one scan an hour ago."""
    base, headers = console.base_url, {"Authorization": f"Bearer {console.api_key}"}
    payload = order_payload(
        buyer={"id": "b-eta-page", "name": "林晓", "phone": "13900139077"},
        shipping_address={"province": "上海市", "city": "上海市", "line1": "世纪大道 88 号"},
    )
    created = httpx.post(f"{base}/api/v1/orders", json=payload, headers=headers)
    created.raise_for_status()
    order_id: str = created.json()["id"]
    httpx.post(f"{base}/api/v1/orders/{order_id}/events", json={"event": "pay"}, headers=headers)
    engine = make_engine(console.database_url)
    try:
        db = Database(engine, SystemClock())
        worker = app_worker(db, Settings(database_url=console.database_url))
        while worker.run_once():  # the live server runs no worker: plan here
            pass
    finally:
        engine.dispose()
    lines = [{"sku": line["sku"], "qty": line["qty"]} for line in payload["lines"]]
    shipped = httpx.post(
        f"{base}/api/v1/orders/{order_id}/shipments",
        json={"carrier": "shunfeng", "tracking_no": TRACKING_NO, "lines": lines},
        headers=headers,
    )
    assert shipped.status_code in (200, 201), shipped.text
    _configure_generic(console)
    now = datetime.now(UTC)
    scan = {
        "carrier": "shunfeng",
        "tracking_no": TRACKING_NO,
        "scheme": "aftership",
        "events": [scan_event(now - timedelta(hours=1), "InTransit", SCAN_TEXT, "上海市浦东新区")],
    }
    push_headers, body = generic_push(
        ManualClock(now), scan, msg_id="msg_browser_eta", secret=WHSEC
    )
    pushed = httpx.post(
        f"{base}/api/v1/tracking/generic/{console.tenant_id}", content=body, headers=push_headers
    )
    assert pushed.status_code == 200, pushed.text
    return order_id


def test_the_buyer_sees_scans_and_the_eta_on_a_phone_and_ops_copy_the_link(
    browser: Browser, page: Page, live_console: LiveConsole
) -> None:
    order_id = _scanned_parcel(live_console)
    headers = {"Authorization": f"Bearer {live_console.api_key}"}
    link = httpx.get(
        f"{live_console.base_url}/api/v1/orders/{order_id}/tracking-link", headers=headers
    ).json()
    phone = new_page(browser, locale="zh-CN", width=390)
    try:
        phone.goto(link["url"])
        parcel = phone.locator(f".parcel[data-tracking-no='{TRACKING_NO}']")
        expect(parcel.locator(".scan")).to_contain_text(SCAN_TEXT)
        expect(parcel.locator(".scan")).to_contain_text("上海市浦东新区")
        expect(parcel.locator(".status")).to_contain_text("运输中")
        window = parcel.locator(".eta-window")
        expect(window).to_have_text(re.compile(r"^(今天|明天|后天|\d+月\d+日 周.) \d\d:00"))
        expect(parcel.locator(".eta-uncertainty")).not_to_be_empty()
        expect(phone.locator(".progress li[aria-current=step]")).to_have_text("在途")
        expect(phone.locator("#history li[data-kind=paid]")).to_contain_text("已付款")
        assert page_problems(phone, locale="zh-CN", width=390) == []
        screenshot(phone, "tracking-page-phone")
        phone.goto(link["url"].replace("/track/", "/track/x"))
        expect(phone.locator("#invalid")).to_contain_text("物流查询链接无效或已过期")
    finally:
        phone.context.close()

    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, live_console, live_console.ops_email)
    page.goto(f"{live_console.base_url}/console/orders/{order_id}")
    tracking = page.locator("#buyer-tracking")
    expect(tracking.locator(".eta-window")).to_have_text(re.compile(r"\d\d:00"))
    page.locator("#copy-tracking-link").click()
    expect(page.locator("#copy-tracking-done")).to_have_text("链接已复制")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#tracking-link").input_value()
    assert copied.startswith(f"{live_console.base_url}/track/")
    opened = httpx.get(copied)
    assert opened.status_code == 200 and TRACKING_NO in opened.text
