"""The API keys page in a real Chromium: an admin revokes a key after confirming, and the
server refuses that key from then on."""

from __future__ import annotations

import os

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, LiveConsole, _oms, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_an_admin_revokes_a_key_and_the_server_refuses_it(
    page: Page, live_console: LiveConsole
) -> None:
    env = os.environ | {"OMS_DATABASE_URL": live_console.database_url}
    tenant = live_console.tenant_id
    admin_email = f"keys-admin-{tenant[-6:]}@browser.test"  # its own: the tenant is shared
    _oms(
        env,
        "users",
        "create",
        "--tenant",
        tenant,
        "--email",
        admin_email,
        "--role",
        "admin",
        stdin=PASSWORD + "\n",
    )
    key = _oms(
        env, "api-keys", "create", "--tenant", tenant, "--role", "warehouse", "--name", "浏览器仓库"
    )
    orders = f"{live_console.base_url}/api/v1/orders"
    bearer = {"Authorization": f"Bearer {key['api_key']}"}
    assert httpx.get(orders, headers=bearer).status_code == 200

    sign_in(page, live_console, admin_email)
    page.click("a[data-nav=api_keys]")
    expect(page.locator("h1")).to_have_text("API 密钥")
    row = page.locator(f"tr[data-key-id='{key['key_id']}']")
    expect(row).to_contain_text("浏览器仓库")
    expect(row).to_contain_text("…" + key["api_key"][-4:])
    expect(page.locator("main")).not_to_contain_text(key["api_key"])
    row.locator("[data-action=revoke]").click()
    expect(row.locator("form.confirm")).to_contain_text("确定吊销此密钥")
    screenshot(page, "api-keys-confirm")
    row.locator("[data-action=confirm-revoke]").click()
    expect(page.locator("[data-revoked]")).to_be_visible()
    expect(row.locator("[data-status]")).to_have_attribute("data-status", "revoked")
    screenshot(page, "api-keys-revoked")

    refused = httpx.get(orders, headers=bearer)
    assert refused.status_code == 401 and refused.json()["code"] == "ERR_AUTH_REQUIRED"


def test_the_page_is_for_admins_only(page: Page, live_console: LiveConsole) -> None:
    sign_in(page, live_console, live_console.ops_email)
    expect(page.locator("a[data-nav=api_keys]")).to_have_count(0)
    response = page.goto(f"{live_console.base_url}/console/api-keys")
    assert response is not None and response.status == 403
