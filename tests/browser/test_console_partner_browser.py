"""The partner page in a real Chromium: a partner with two shops signs in with its key and
sees the one whose platform deliveries stopped three hours ago flagged as lagging."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from oms.channels import service as channels
from oms.core.clock import ManualClock
from oms.core.db import make_engine
from oms.core.uow import Database
from tests.browser.conftest import LiveConsole, _oms, screenshot
from tests.fixtures.channel_deliveries import SHOPIFY_SECRET, sample, shopify

pytestmark = pytest.mark.browser


def _shop(console: LiveConsole, partner_key: str, name: str) -> str:
    bearer = {"Authorization": f"Bearer {partner_key}"}
    made = httpx.post(f"{console.base_url}/api/v1/tenants", json={"name": name}, headers=bearer)
    made.raise_for_status()
    admin = {"Authorization": f"Bearer {made.json()['api_key']}"}
    configured = httpx.put(
        f"{console.base_url}/api/v1/channels/shopify",
        json={"secret": SHOPIFY_SECRET},
        headers=admin,
    )
    configured.raise_for_status()
    return str(made.json()["tenant_id"])


def test_a_partner_sees_its_lagging_shop(
    page: Page, live_console: LiveConsole, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = os.environ | {"OMS_DATABASE_URL": live_console.database_url}
    partner = _oms(env, "partners", "create", "--name", "浏览器伙伴")
    lagging = _shop(live_console, partner["partner_key"], "沉默茶庄")
    fresh = _shop(live_console, partner["partner_key"], "活跃茶庄")
    # The lagging shop's last delivery arrived three hours ago: told in-process on the
    # served database with a clock set back, as the platform would have delivered it then
    # (in the server's directory, whose development key sealed the channel's secret).
    monkeypatch.chdir(Path(live_console.database_url.removeprefix("sqlite:///")).parent)
    earlier = Database(
        make_engine(live_console.database_url), ManualClock(datetime.now(UTC) - timedelta(hours=3))
    )
    headers, body = shopify(sample("shopify_orders_create.json"), webhook_id="quiet-1")
    channels.receive_webhook(
        earlier, channel="shopify", tenant_id=lagging, headers=headers, body=body
    )
    headers, body = shopify(sample("shopify_orders_create.json"), webhook_id="busy-1")
    delivered = httpx.post(
        f"{live_console.base_url}/api/v1/channels/shopify/webhooks/{fresh}",
        content=body,
        headers=headers,
    )
    delivered.raise_for_status()

    page.goto(f"{live_console.base_url}/console/partner")
    expect(page.locator("h1")).to_have_text("合作伙伴总览")
    page.fill("input[name=partner_key]", "omsp_wrong")
    page.click("button[type=submit].primary")
    expect(page.locator("[role=alert]")).to_have_attribute("data-code", "ERR_AUTH_REQUIRED")
    page.fill("input[name=partner_key]", partner["partner_key"])
    page.click("button[type=submit].primary")
    table = page.locator("table[data-table=partner-tenants]")
    expect(table.locator("tbody tr")).to_have_count(2)
    quiet_row = table.locator(f"tr[data-tenant-id='{lagging}']")
    busy_row = table.locator(f"tr[data-tenant-id='{fresh}']")
    expect(quiet_row).to_have_attribute("data-lagging", "true")
    expect(quiet_row.locator("[data-cell=lag]")).to_contain_text("3 小时")
    expect(quiet_row.locator("[data-cell=lag]")).to_contain_text("延迟")
    expect(busy_row).not_to_have_attribute("data-lagging", "true")
    expect(page.locator(".summary")).to_contain_text("2 家店铺中有 1 家同步延迟")
    expect(page.locator("main")).not_to_contain_text(partner["partner_key"])
    screenshot(page, "partner-overview")
