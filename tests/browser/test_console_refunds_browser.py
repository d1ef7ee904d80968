"""Refunds and finance in a real Chromium: an admin approves one refund, rejects another with
a note, looks at the SLA board, imports a statement and matches a line by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from oms.core.clock import SystemClock
from oms.core.context import Actor
from oms.core.db import make_engine
from oms.core.uow import Database
from oms.orders import service as orders
from oms.orders.schemas import OrderEventIn
from oms.orders.states import OrderEvent
from oms.refunds import service as refunds
from oms.refunds.schemas import RefundIn, RefundReason
from oms.users.service import create_user
from tests.browser.conftest import PASSWORD, LiveConsole, screenshot, sign_in
from tests.fixtures.finance import ORDER_A, STATEMENTS, add_movement
from tests.fixtures.orders import order_create

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Seeded:
    email: str
    refunds: list[str]
    movement_id: str


def _paid_refund(db: Database, actor: Actor, amount: int) -> str:
    placed = orders.place_order(db, actor, order_create())
    order_id = placed.order.id
    orders.apply_event(db, actor, order_id, OrderEventIn(event=OrderEvent.PAY))
    data = RefundIn(order_id=order_id, amount=amount, reason=RefundReason.QUALITY)
    return refunds.request_refund(db, actor, data).refund.id


def _seed(console: LiveConsole) -> Seeded:
    """An admin, two refund requests, and a movement the sample statement pays 8.50 short."""
    engine = make_engine(console.database_url)
    db = Database(engine, SystemClock())
    actor = Actor(console.tenant_id, "test:seed", "admin")
    try:
        email = f"admin-{console.tenant_id[-6:]}@browser.test"
        create_user(db, tenant_id=console.tenant_id, email=email, password=PASSWORD, role="admin")
        requested = [_paid_refund(db, actor, amount) for amount in (1200, 800)]
        movement = add_movement(
            db, console.tenant_id, amount=129700, on=date(2026, 11, 24), order_no=ORDER_A
        )
        return Seeded(email, requested, movement)
    finally:
        engine.dispose()


def _decide_refunds(page: Page, seeded: Seeded) -> None:
    approve, reject = seeded.refunds
    page.click("a[data-nav=refunds]")
    expect(page.locator("h1")).to_have_text("退款申请")
    screenshot(page, "refunds-queue")
    page.click(f"tr[data-refund-id='{approve}'] button[data-action=approve]")
    expect(page.locator("p.flash.ok")).to_have_attribute("data-done", "approved")
    row = page.locator(f"tr[data-refund-id='{reject}']")
    row.locator("input[name=note]").fill("超过退货期限")
    row.locator("button[data-action=reject]").click()
    expect(page.locator("p.flash.ok")).to_have_attribute("data-done", "rejected")
    expect(page.locator(f"tr[data-refund-id='{approve}']")).to_have_count(0)
    expect(page.locator(f"tr[data-refund-id='{reject}']")).to_have_count(0)
    screenshot(page, "refunds-decided")
    page.click("a[data-nav=refunds_sla]")
    expect(page.locator("h1")).to_have_text("时效看板")
    screenshot(page, "refunds-sla")


def _match_by_hand(page: Page, seeded: Seeded) -> None:
    page.click("a[data-nav=finance]")
    page.set_input_files("#import input[name=file]", str(STATEMENTS / "sample.mt940"))
    page.select_option("#import select[name=format]", "mt940")
    page.click("button[data-action=import]")
    expect(page.locator("p.flash.ok")).to_have_attribute("data-done", "imported")
    proposal = page.locator(f"#review tr[data-movement-id='{seeded.movement_id}']")
    line_id = proposal.get_attribute("data-line-id")
    assert line_id
    screenshot(page, "finance-review")
    # The proposal is the wrong call: reject it, then pick the order for the line by hand.
    proposal.locator("button[data-action=reject-match]").click()
    expect(page.locator("p.flash.ok")).to_have_attribute("data-done", "rejected")
    page.click(f"#open-lines tr[data-line-id='{line_id}'] a[data-action=pick-line]")
    page.fill("#picker input[name=find]", ORDER_A)
    page.click("#picker form[role=search] button")
    page.click(f"#picker tr[data-movement-id='{seeded.movement_id}'] button[data-action=pick]")
    expect(page.locator("p.flash.ok")).to_have_attribute("data-done", "matched")
    expect(page.locator("#review tr[data-match-id]")).to_have_count(0)
    screenshot(page, "finance-matched")


def test_an_admin_decides_refunds_and_matches_a_statement_line_by_hand(
    page: Page, live_console: LiveConsole
) -> None:
    seeded = _seed(live_console)
    sign_in(page, live_console, seeded.email)
    _decide_refunds(page, seeded)
    _match_by_hand(page, seeded)
