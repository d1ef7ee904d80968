"""A warehouse user opens the monthly fulfilment health report from the fulfilment page, sees
the figures and the ECharts charts drawn, picks the month, and downloads the PDF, in a real
Chromium. A parcel of a carrier no other browser test uses is shipped through the API first,
so its row is this test's own in the shared console."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, expect

from oms.config import Settings
from oms.core.clock import SystemClock
from oms.core.db import make_engine
from oms.core.uow import Database
from tests.browser.checks import page_problems
from tests.browser.conftest import LiveConsole, screenshot, sign_in
from tests.fixtures.jobs import app_worker
from tests.fixtures.orders import order_payload

pytestmark = pytest.mark.browser

CARRIER, TRACKING_NO = "ems", "EM880000777CN"


def _shipped_parcel(console: LiveConsole) -> None:
    base, headers = console.base_url, {"Authorization": f"Bearer {console.api_key}"}
    payload = order_payload(
        buyer={"id": "b-report", "name": "周婷", "phone": "13900139177"},
        shipping_address={"province": "江苏省", "city": "南京市", "line1": "中山路 8 号"},
    )
    created = httpx.post(f"{base}/api/v1/orders", json=payload, headers=headers)
    created.raise_for_status()
    order_id = created.json()["id"]
    httpx.post(f"{base}/api/v1/orders/{order_id}/events", json={"event": "pay"}, headers=headers)
    engine = make_engine(console.database_url)
    try:
        worker = app_worker(
            Database(engine, SystemClock()), Settings(database_url=console.database_url)
        )
        while worker.run_once():  # the live server runs no worker: plan here
            pass
    finally:
        engine.dispose()
    lines = [{"sku": line["sku"], "qty": line["qty"]} for line in payload["lines"]]
    shipped = httpx.post(
        f"{base}/api/v1/orders/{order_id}/shipments",
        json={"carrier": CARRIER, "tracking_no": TRACKING_NO, "lines": lines, "is_final": True},
        headers=headers,
    )
    assert shipped.status_code in (200, 201), shipped.text


def test_a_warehouse_user_reads_the_months_report_and_downloads_its_pdf(
    page: Page, live_console: LiveConsole
) -> None:
    _shipped_parcel(live_console)
    month = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    sign_in(page, live_console, live_console.warehouse_email)
    page.goto(f"{live_console.base_url}/console/fulfilment")
    page.locator("#report-link").click()
    page.wait_for_url("**/console/fulfilment/report")
    expect(page.locator("h1")).to_contain_text("履约健康月报")
    page.fill("#month-picker input[name=month]", month)
    page.locator("#month-picker button[type=submit]").click()
    page.wait_for_url(f"**/console/fulfilment/report?month={month}")
    parcels = page.locator("table.report-trend tr[data-figure=parcels] td[data-value]")
    assert int(parcels.inner_text()) >= 1
    expect(page.locator("table.stall-carriers tr[data-carrier=ems]")).to_have_count(1)
    for key in ("outbound", "stall_by_carrier", "exceptions_by_cause"):
        chart = page.locator(f"#chart-{key}")
        expect(chart).to_have_attribute("data-rendered", "true")
        expect(chart.locator("svg")).to_have_count(1)
    expect(page.locator("#chart-stall_by_carrier svg")).to_contain_text("ems")
    assert page_problems(page, locale="zh-CN", width=1280) == []
    screenshot(page, "fulfilment-report")
    with page.expect_download() as download_info:
        page.locator("#download-pdf").click()
    download = download_info.value
    assert download.suggested_filename == f"fulfilment-report-{month}.pdf"
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
