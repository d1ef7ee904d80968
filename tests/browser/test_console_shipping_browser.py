"""A warehouse user ships an order in two parcels from the order page, in a real Chromium."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from oms.config import Settings
from oms.core.clock import SystemClock
from oms.core.db import make_engine
from oms.core.uow import Database
from tests.browser.conftest import LiveConsole, screenshot, sign_in
from tests.fixtures.jobs import app_worker
from tests.fixtures.orders import order_payload

pytestmark = pytest.mark.browser


def _paid_and_planned(console: LiveConsole) -> str:
    headers = {"Authorization": f"Bearer {console.api_key}"}
    # A buyer and address of its own: the shared console's other orders from the fixtures'
    # buyer would trip the default risk rules (brushing_buyer) and hold this one.
    payload = order_payload(
        buyer={"id": "b-ship", "name": "周敏", "phone": "13900139077"},
        shipping_address={"province": "江苏省", "city": "苏州市", "line1": "人民路 18 号"},
    )
    created = httpx.post(f"{console.base_url}/api/v1/orders", json=payload, headers=headers)
    created.raise_for_status()
    order_id: str = created.json()["id"]
    paid = httpx.post(
        f"{console.base_url}/api/v1/orders/{order_id}/events",
        json={"event": "pay"},
        headers=headers,
    )
    paid.raise_for_status()
    engine = make_engine(console.database_url)
    try:  # the live server runs no worker: plan here, as the embedded worker would
        worker = app_worker(
            Database(engine, SystemClock()), Settings(database_url=console.database_url)
        )
        while worker.run_once():
            pass
    finally:
        engine.dispose()
    return order_id


def test_a_warehouse_user_ships_an_order_in_two_parcels(
    page: Page, live_console: LiveConsole
) -> None:
    order_id = _paid_and_planned(live_console)
    sign_in(page, live_console, live_console.warehouse_email)
    page.goto(f"{live_console.base_url}/console/orders/{order_id}")
    expect(page.locator("#fulfilment-plan tbody tr")).to_have_count(1)
    screenshot(page, "ship-first-parcel")
    form = page.locator("#ship-form")
    form.locator("select[name=carrier]").select_option("shunfeng")
    form.locator("input[name=tracking_no]").fill("SF700000001")
    form.locator("input[data-sku='CUP-GLS-300']").fill("0")
    form.locator("button[data-action=ship-parcel]").click()
    page.wait_for_url("**done=shipped_parcel")
    expect(page.locator("h1 [data-status]")).to_have_attribute("data-status", "partially_shipped")
    expect(page.locator("#shipments tr[data-shipment-id]")).to_have_count(1)

    form = page.locator("#ship-form")
    expect(form.locator("input[data-sku='TEA-LJ-250']")).to_have_value("0")
    form.locator("select[name=carrier]").select_option("yunda")
    form.locator("input[name=tracking_no]").fill("YD700000002")
    form.locator("button[data-action=ship-parcel]").click()
    page.wait_for_url("**done=shipped_parcel")
    expect(page.locator("h1 [data-status]")).to_have_attribute("data-status", "shipped")
    expect(page.locator("#shipments tr[data-shipment-id]")).to_have_count(2)
    expect(page.locator("#ship-form")).to_have_count(0)
    screenshot(page, "shipped-two-parcels")
