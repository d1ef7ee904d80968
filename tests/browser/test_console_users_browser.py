"""User administration in a real Chromium: an admin invites a user who signs in with the
password shown once; the admin disables them and their open session ends; the admin adds a
member to a review group."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from oms.core.clock import SystemClock
from oms.core.db import make_engine
from oms.core.uow import Database
from oms.users.service import create_user
from tests.browser.conftest import PASSWORD, LiveConsole, new_page, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def admin_email(live_console: LiveConsole) -> str:
    email = f"admin-users-{live_console.tenant_id[-6:]}@browser.test"
    db = Database(make_engine(live_console.database_url), SystemClock())
    create_user(db, tenant_id=live_console.tenant_id, email=email, password=PASSWORD, role="admin")
    db.engine.dispose()
    return email


def _sign_in(browser: Browser, console: LiveConsole, email: str, password: str) -> Page:
    page = new_page(browser)
    page.goto(f"{console.base_url}/console/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit].primary")
    return page


def test_an_invited_user_signs_in_and_is_signed_out_when_disabled(
    browser: Browser, live_console: LiveConsole, admin_email: str
) -> None:
    admin = _sign_in(browser, live_console, admin_email, PASSWORD)
    admin.wait_for_url("**/console/orders")
    admin.goto(f"{live_console.base_url}/console/users")
    invitee = f"hire-{live_console.tenant_id[-6:]}@browser.test"
    admin.fill("input[name=email]", invitee)
    admin.select_option("form[action='/console/users/invite'] select[name=role]", "service")
    admin.click("button[data-action=invite]")
    password = admin.locator("code[data-password]").inner_text().strip()
    screenshot(admin, "users-invited")
    assert len(password) >= 12

    hire = _sign_in(browser, live_console, invitee, password)
    hire.wait_for_url("**/console/orders")
    expect(hire.locator(".role-badge")).to_have_text("客服")

    admin.goto(f"{live_console.base_url}/console/users")
    admin.click(f"tr[data-email='{invitee}'] button[data-action=disable]")
    expect(admin.locator("p.flash.ok[data-done=disabled]")).to_be_visible()
    expect(admin.locator(f"tr[data-email='{invitee}']")).to_have_attribute(
        "data-status", "disabled"
    )

    hire.goto(f"{live_console.base_url}/console/orders")
    hire.wait_for_url("**/console/login**")
    hire.fill("input[name=email]", invitee)
    hire.fill("input[name=password]", password)
    hire.click("button[type=submit].primary")
    refusal = hire.locator("p.flash.error[data-code=ERR_AUTH_USER_DISABLED]")
    expect(refusal).to_contain_text("此账号已停用")
    screenshot(hire, "users-disabled-sign-in")
    hire.context.close()
    admin.context.close()


def test_an_admin_adds_a_member_to_a_review_group(
    browser: Browser, live_console: LiveConsole, admin_email: str
) -> None:
    admin = _sign_in(browser, live_console, admin_email, PASSWORD)
    admin.wait_for_url("**/console/orders")
    admin.goto(f"{live_console.base_url}/console/review-groups")
    admin.fill("input[name=group]", "tmall-small")
    admin.select_option("select[name=user_id]", label=f"{live_console.ops_email} · 运营")
    admin.click("button[data-action=add-member]")
    expect(admin.locator("p.flash.ok[data-done=member_added]")).to_be_visible()
    group = admin.locator("section[data-group=tmall-small]")
    expect(group).to_contain_text(live_console.ops_email)
    screenshot(admin, "review-groups-member-added")
    admin.context.close()
