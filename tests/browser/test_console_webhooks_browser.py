"""The webhooks page in a real Chromium: an operator replays an outbound delivery."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from oms.config import Settings
from oms.core.clock import SystemClock
from oms.core.context import Actor
from oms.core.db import make_engine
from oms.core.uow import Database
from oms.orders.service import place_order
from oms.webhooks import queries as webhook_queries
from oms.webhooks import service as webhooks
from oms.webhooks.schemas import SubscriptionIn
from tests.browser.conftest import LiveConsole, screenshot, sign_in
from tests.fixtures.jobs import app_worker
from tests.fixtures.orders import order_create
from tests.fixtures.robots import serve

pytestmark = pytest.mark.browser


def _seed_sent_delivery(console: LiveConsole, receiver_url: str) -> str:
    """A subscription and one delivery sent to the local receiver, in the served database."""
    settings = Settings(database_url=console.database_url, webhook_allow_private_networks=True)
    engine = make_engine(console.database_url)
    db = Database(engine, SystemClock())
    actor = Actor(console.tenant_id, "test:seed", "admin")
    try:
        data = SubscriptionIn(url=f"{receiver_url}/hook?key=k", event_types=["order.created"])
        subscription = webhooks.create_subscription(db, actor, data, allow_private=True)
        place_order(db, actor, order_create())
        worker = app_worker(db, settings)
        while worker.run_once():
            pass
        sent = webhook_queries.list_deliveries(
            db, console.tenant_id, subscription_id=subscription.id
        ).items
        assert sent and all(d.status == "succeeded" for d in sent)
        return sent[0].id  # the newest: the order placed here
    finally:
        engine.dispose()


def test_an_operator_opens_the_webhooks_page_and_replays_a_delivery(
    page: Page, live_console: LiveConsole
) -> None:
    with serve(lambda _request: (200, {"ok": True})) as receiver:
        delivery_id = _seed_sent_delivery(live_console, receiver.url)
    sign_in(page, live_console, live_console.ops_email)
    page.click("a[data-nav=webhooks]")
    expect(page.locator("h1")).to_have_text("Webhook 消息")
    row = page.locator(f"tr[data-delivery-id='{delivery_id}']")
    expect(row).to_have_attribute("data-status", "succeeded")
    expect(page.locator("#subscriptions")).not_to_contain_text("key=k")
    screenshot(page, "webhooks")

    row.get_by_role("button", name="重发").click()
    page.wait_for_url("**replayed=**")
    expect(page.locator(".flash.ok")).to_contain_text(delivery_id)
    expect(row).to_have_attribute("data-status", "pending")
    expect(row.get_by_role("button")).to_have_count(0)
    screenshot(page, "webhooks-after-replay")
