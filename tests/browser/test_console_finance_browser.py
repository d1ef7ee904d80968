"""The finance desk in a real Chromium, as a finance user: import a CSV statement in the
tenant's layout, read the counts, confirm a doubtful match after its warning, and match the
line nothing matched by picking its order from a search — no ids typed anywhere."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from oms.core.clock import SystemClock
from oms.core.db import make_engine
from oms.core.uow import Database
from oms.users.service import create_user
from tests.browser.checks import untranslated_words
from tests.browser.conftest import PASSWORD, LiveConsole, screenshot, sign_in
from tests.fixtures.finance import add_movement

pytestmark = pytest.mark.browser

PAID_ON = date(2026, 11, 26)


@dataclass(frozen=True)
class Desk:
    email: str
    exact: str  # order no paid in full, memo names it: auto-confirmed
    short: str  # order no paid 8.50 short, memo names it: review
    late: str  # order no whose money came without a reference, weeks later: unmatched
    late_movement: str
    statement: bytes


def _order_no() -> str:
    # 18 digits like the channels' order numbers, unique so the shared tenant's other
    # statements and movements cannot take these lines.
    return "2611" + "".join(str(secrets.randbelow(10)) for _ in range(14))


def _seed(console: LiveConsole) -> Desk:
    """A finance user and three open payments; the statement pays each in its own way."""
    engine = make_engine(console.database_url)
    db = Database(engine, SystemClock())
    try:
        email = f"finance-{secrets.token_hex(3)}@browser.test"
        create_user(db, tenant_id=console.tenant_id, email=email, password=PASSWORD, role="finance")
        exact, short, late = _order_no(), _order_no(), _order_no()
        tenant = console.tenant_id
        add_movement(db, tenant, amount=234560, on=PAID_ON, order_no=exact)
        add_movement(db, tenant, amount=139700, on=PAID_ON, order_no=short)
        # Expected five weeks before the money came: outside the date window, and the memo
        # names nothing, so the matcher leaves the line for a person.
        late_id = add_movement(
            db, tenant, amount=45678, on=PAID_ON - timedelta(days=35), order_no=late
        )
    finally:
        engine.dispose()
    rows = [
        "date,amount,currency,memo,reference",
        f"2026-11-26,2345.60,CNY,支付宝转账 订单{exact} 王芳,",
        f"2026-11-26,1388.50,CNY,网银转账 订单{short} 李娜,",
        "2026-11-26,456.78,CNY,转账 张伟,",
    ]
    csv = ("\n".join(rows) + "\n").encode()
    return Desk(email, exact, short, late, late_id, csv)


def _section(page: Page, name: str) -> Locator:
    return page.locator(f"section#{name}")


def _import(page: Page, desk: Desk) -> None:
    page.click("a[data-nav=finance]")
    expect(page.locator("h1")).to_have_text("银行流水")
    # The tenant's CSV layout is the default: nothing to choose.
    expect(page.locator("#import select[name=format]")).to_have_value("csv")
    upload = {"name": "statement.csv", "mimeType": "text/csv", "buffer": desk.statement}
    page.set_input_files("#import input[name=file]", files=[upload])
    page.click("button[data-action=import]")
    expect(page.locator("p.flash.ok")).to_have_attribute("data-done", "imported")
    counts = page.locator("#import-counts")
    for key, value in {"lines": "3", "auto": "1", "review": "1", "unmatched": "1"}.items():
        expect(counts.locator(f"dd[data-count={key}]")).to_have_text(value)
    expect(_section(page, "confirmed")).to_contain_text(desk.exact)
    assert untranslated_words(page) == []
    screenshot(page, "finance-desk-imported")


def _confirm_after_warning(page: Page, desk: Desk) -> None:
    row = _section(page, "review").locator("tr[data-match-id]", has_text=desk.short)
    expect(row).to_have_count(1)
    row.locator("button[data-action=confirm]").click()
    warning = page.locator("#confirm-warning")
    expect(warning.locator("li[data-warning=amount_difference]")).to_contain_text("¥1,388.50")
    expect(_section(page, "confirmed")).not_to_contain_text(desk.short)  # not yet
    assert untranslated_words(page) == []
    screenshot(page, "finance-desk-warning")
    warning.locator("button[data-action=confirm-anyway]").click()
    expect(page.locator("p.flash.ok")).to_have_attribute("data-done", "confirmed")
    expect(_section(page, "confirmed")).to_contain_text(desk.short)
    expect(_section(page, "review").locator("tr", has_text=desk.short)).to_have_count(0)


def _pick_the_order(page: Page, desk: Desk) -> None:
    line = _section(page, "open-lines").locator("tr[data-line-id]", has_text="转账 张伟")
    line.locator("a[data-action=pick-line]").click()
    picker = _section(page, "picker")
    expect(picker).to_contain_text("¥456.78")
    picker.locator("input[name=find]").fill(desk.late[:12])
    picker.locator("form[role=search] button").click()
    found = picker.locator(f"tr[data-movement-id='{desk.late_movement}']")
    expect(found).to_contain_text(desk.late)
    assert untranslated_words(page) == []
    screenshot(page, "finance-desk-picker")
    found.locator("button[data-action=pick]").click()
    expect(page.locator("p.flash.ok")).to_have_attribute("data-done", "matched")
    expect(_section(page, "open-lines")).not_to_contain_text("转账 张伟")
    expect(_section(page, "confirmed")).to_contain_text(desk.late)
    expect(_section(page, "picker")).to_have_count(0)
    screenshot(page, "finance-desk-matched")


def test_finance_imports_a_statement_confirms_after_the_warning_and_picks_an_order(
    page: Page, live_console: LiveConsole
) -> None:
    desk = _seed(live_console)
    sign_in(page, live_console, desk.email)
    _import(page, desk)
    _confirm_after_warning(page, desk)
    _pick_the_order(page, desk)
