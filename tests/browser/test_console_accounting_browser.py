"""The accounting page in a real Chromium, as a finance user: a payment's voucher that a (local)
Kingdee refused shows with Kingdee's own message; after the account is fixed, finance resends it
(with a confirmation) and sees it sent, once — the fake Kingdee counts one voucher."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from oms.accounting.schemas import ConnectionIn
from oms.accounting.service import connect_sink, take_payment
from oms.config import Settings
from oms.core.auth import create_tenant
from oms.core.clock import SystemClock
from oms.core.db import make_engine
from oms.core.ids import new_id
from oms.core.uow import Database
from oms.payments.events import PaymentConfirmed
from oms.users.service import create_user
from tests.browser.checks import untranslated_words
from tests.browser.conftest import PASSWORD, LiveConsole, screenshot
from tests.fixtures.jobs import app_worker
from tests.fixtures.vouchers import FakeKingdee, start_kingdee

pytestmark = pytest.mark.browser

SECRET = "kd-browser-secret"


@pytest.fixture
def kingdee() -> Iterator[FakeKingdee]:
    fake = FakeKingdee(acct_id="browser01", user="oms", app_id="1_oms", app_secret=SECRET)
    httpd = start_kingdee(fake)
    yield fake
    httpd.shutdown()
    httpd.server_close()


def _connect(db: Database, tenant_id: str, fake: FakeKingdee, **accounts: str) -> None:
    settings = {"user": "oms", "app_id": "1_oms", "account_book": "001", **accounts}
    given = ConnectionIn(
        sink="kingdee",
        company_id=fake.acct_id,
        token=SECRET,
        base_url=fake.url,
        item_ref="",
        settings=settings,
    )
    connect_sink(db, tenant_id=tenant_id, given=given)


def _run_jobs(db: Database, console: LiveConsole) -> None:
    worker = app_worker(db, Settings(database_url=console.database_url))
    while worker.run_once():  # the live server runs no worker
        pass


def test_finance_resends_a_rejected_voucher_after_the_fix_and_it_is_booked_once(
    live_console: LiveConsole, page: Page, kingdee: FakeKingdee
) -> None:
    engine = make_engine(live_console.database_url)
    db = Database(engine, SystemClock())
    try:
        # A tenant of its own: the shared tenant's payments must not reach this Kingdee.
        tenant = create_tenant(db, name=f"记账测试店 {secrets.token_hex(2)}")
        email = f"finance-{secrets.token_hex(3)}@browser.test"
        create_user(db, tenant_id=tenant.tenant_id, email=email, password=PASSWORD, role="finance")
        _connect(db, tenant.tenant_id, kingdee, account_revenue="6001.99")  # not in the chart
        order_no = "2612" + "".join(str(secrets.randbelow(10)) for _ in range(14))
        paid = PaymentConfirmed(
            tenant_id=tenant.tenant_id,
            payment_id=new_id(),
            order_id=new_id(),
            order_no=order_no,
            gateway="alipay",
            trade_no="2026120322001400000000009999",
            amount=128800,
            currency="CNY",
            paid_at=datetime.now(UTC),
        )
        [document_id] = take_payment(db, paid)
        _run_jobs(db, live_console)
        assert kingdee.vouchers == {}

        page.goto(f"{live_console.base_url}/console")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url("**/console/orders")
        page.click("a[data-nav=accounting]")
        expect(page.locator("h1")).to_have_text("记账")
        sink = page.locator("#sinks tr[data-sink=kingdee]")
        expect(sink.locator(".state")).to_have_text("已配置")
        row = page.locator(f"#documents tr[data-document-id='{document_id}']")
        expect(row).to_have_attribute("data-status", "rejected")
        expect(row.locator(".status")).to_have_text("被财务系统拒绝")
        expect(row.locator(".message")).to_contain_text("科目编码 6001.99 不存在或未审核")
        expect(row).to_contain_text("¥1,288.00")
        assert untranslated_words(page) == []
        screenshot(page, "accounting-rejected")

        # Only the rejected ones, then only Kingdee's: the filters keep each other.
        page.select_option("select[name=status]", "rejected")
        page.click("#documents button[type=submit]")
        expect(row).to_be_visible()
        expect(page.locator("#documents tr[data-status=sent]")).to_have_count(0)

        _connect(db, tenant.tenant_id, kingdee)  # finance fixed the account in the settings
        row.locator("a[data-action=resend]").click()
        confirm = page.locator("section#confirm")
        expect(confirm).to_contain_text(order_no)
        expect(confirm).to_contain_text(document_id)
        confirm.locator("button[data-confirm=resend]").click()
        expect(page.locator("p.flash.ok")).to_have_attribute("data-done", "resent")

        _run_jobs(db, live_console)
        page.goto(f"{live_console.base_url}/console/accounting?sink=kingdee")
        row = page.locator(f"#documents tr[data-document-id='{document_id}']")
        expect(row).to_have_attribute("data-status", "sent")
        [voucher_id] = kingdee.vouchers
        expect(row.locator(".external")).to_have_text(voucher_id)
        expect(row.locator("a[data-action=resend]")).to_have_count(0)
        # Two saves: the refused one (nothing made) and the booked one; one voucher in all.
        assert kingdee.calls.count("Save") == 2 and len(kingdee.vouchers) == 1
        screenshot(page, "accounting-sent")
    finally:
        engine.dispose()
