"""A warehouse user opens the fulfilment page, filters to a tracking status, sees a stalled
parcel and follows it to its ticket, in a real Chromium. The parcel is shipped through the API,
scanned through the signed generic tracking push, and the stall sweep runs here."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from oms.config import Settings
from oms.core.clock import ManualClock, SystemClock
from oms.core.db import make_engine
from oms.core.uow import Database
from oms.fulfilment.tracking.stalls import sweep_stalls
from tests.browser.checks import page_problems
from tests.browser.conftest import OMS, LiveConsole, screenshot, sign_in
from tests.fixtures.jobs import app_worker
from tests.fixtures.orders import order_payload
from tests.fixtures.tracking import WHSEC, generic_push, scan_event

pytestmark = pytest.mark.browser

TRACKING_NO = "SF880000001"


def _configure_generic(console: LiveConsole) -> None:
    """``oms tracking configure`` beside the server (its dev secret key lives in its ``var/``)."""
    workdir = Path(console.database_url.removeprefix("sqlite:///")).parent
    env = os.environ | {"OMS_DATABASE_URL": console.database_url}
    command = ["tracking", "configure", "--tenant", console.tenant_id, "--carrier", "generic"]
    subprocess.run(
        [str(OMS), *command, "--secret", WHSEC],
        env=env,
        cwd=workdir,
        check=True,
        capture_output=True,
    )


def _stalled_parcel(console: LiveConsole) -> str:
    """A paid order shipped as one parcel whose only scan is six hours old; swept."""
    base, headers = console.base_url, {"Authorization": f"Bearer {console.api_key}"}
    payload = order_payload(
        buyer={"id": "b-track", "name": "吴磊", "phone": "13900139088"},
        shipping_address={"province": "上海市", "city": "上海市", "line1": "南京东路 5 号"},
    )
    created = httpx.post(f"{base}/api/v1/orders", json=payload, headers=headers)
    created.raise_for_status()
    order_id: str = created.json()["id"]
    pay = {"event": "pay"}
    httpx.post(f"{base}/api/v1/orders/{order_id}/events", json=pay, headers=headers)
    engine = make_engine(console.database_url)
    try:
        db = Database(engine, SystemClock())
        worker = app_worker(db, Settings(database_url=console.database_url))
        while worker.run_once():  # the live server runs no worker: plan here
            pass
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
            "events": [scan_event(now - timedelta(hours=6), "InTransit", text="杭州转运中心")],
        }
        push_headers, body = generic_push(ManualClock(now), scan, msg_id="msg_browser_stall")
        pushed = httpx.post(
            f"{base}/api/v1/tracking/generic/{console.tenant_id}",
            content=body,
            headers=push_headers,
        )
        assert pushed.status_code == 200, pushed.text
        sweep_stalls(db)
    finally:
        engine.dispose()
    return order_id


def test_a_warehouse_user_follows_a_stalled_parcel_to_its_ticket(
    page: Page, live_console: LiveConsole
) -> None:
    order_id = _stalled_parcel(live_console)
    sign_in(page, live_console, live_console.warehouse_email)
    page.locator("nav a[href='/console/fulfilment']").first.click()
    page.wait_for_url("**/console/fulfilment")
    page.locator("#parcel-counts a[data-status=in_transit]").click()
    page.wait_for_url("**status=in_transit")
    row = page.locator(f"#parcels tr:has(code:text-is('{TRACKING_NO}'))")
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-status", "in_transit")
    expect(row.locator("a[href^='/console/orders/']")).to_have_attribute(
        "href", f"/console/orders/{order_id}"
    )
    stalled = page.locator(f"#stalled tr[data-tracking-no='{TRACKING_NO}']")
    expect(stalled).to_have_count(1)
    expect(stalled.locator("li[data-action=switch_carrier]")).to_have_text("更换承运商")
    assert page_problems(page, locale="zh-CN", width=1280) == []
    screenshot(page, "fulfilment-stalled")
    stalled.locator("a.ticket-link").click()
    page.wait_for_url("**/console/tickets/*")
    expect(page.locator("body")).to_contain_text(TRACKING_NO)
