"""Console lists that show one page say when there is more: a next link or a note."""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from oms.console import queries as console_queries
from oms.core import outbox
from oms.core.models import OutboxMessage
from oms.core.outbox import MessageStatus
from oms.core.uow import Database
from oms.webhooks import service as webhooks
from oms.webhooks.models import WebhookDelivery
from oms.webhooks.schemas import SubscriptionIn
from tests.fixtures.jobs import Probe
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.users import console_user, log_in

SKU = "TEA-LJ-250"
NEXT = re.compile(r'<a href="([^"]+)" rel="next"')


def _next(html: str) -> str | None:
    found = NEXT.search(html)
    return unescape(found.group(1)) if found else None


def test_dead_letters_page_with_a_next_link_and_every_one_is_shown_once(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    with db.uow() as uow:
        for i in range(101):  # the console shows 100 a page
            outbox.add(uow, Probe(tenant_id=tenant.tenant_id, n=i))
        uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.tenant_id == tenant.tenant_id)
            .values(status=MessageStatus.DEAD)
        )
        uow.commit()
    log_in(client, console_user(db, tenant.tenant_id, "ops"))
    first = client.get("/console/jobs").text
    url = _next(first)
    assert url is not None and url.startswith("/console/jobs?cursor=")
    second = client.get(url).text
    assert _next(second) is None
    seen = re.findall(r'data-job-id="([^"]+)"', first) + re.findall(
        r'data-job-id="([^"]+)"', second
    )
    assert len(seen) == len(set(seen)) == 101
    assert client.get("/console/jobs", params={"cursor": "forged"}).status_code == 422


def test_the_ledger_of_a_sku_pages_with_a_next_link(
    client: TestClient, db: Database, tenant: TenantKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console_queries, "LEDGER_LIMIT", 2)
    for _ in range(2):
        client.post(
            "/api/v1/stock/movements",
            json={"sku": SKU, "kind": "inbound", "qty": 1},
            headers=tenant.headers("warehouse"),
        )
    log_in(client, console_user(db, tenant.tenant_id, "ops"))
    seen: list[str] = []
    url: str | None = f"/console/stock/{SKU}"
    while url is not None:
        html = client.get(url).text
        seen += re.findall(r'data-ledger-id="([^"]+)"', html)
        url = _next(html)
        assert len(seen) < 20
    assert len(seen) == len(set(seen)) == 3  # the fixture's stock, then two inbound


def test_a_webhook_log_with_older_deliveries_says_so(
    client: TestClient, db: Database, tenant: TenantKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console_queries, "DELIVERY_LOG_LIMIT", 2)
    data = SubscriptionIn(url="http://127.0.0.1:9/hook", event_types=["order.created"])
    subscription = webhooks.create_subscription(db, tenant.actor(), data, allow_private=True)
    log_in(client, console_user(db, tenant.tenant_id, "admin"))

    def add(n: int) -> None:
        with db.uow() as uow:
            now = uow.clock.now()
            for i in range(n):
                uow.session.add(
                    WebhookDelivery(
                        tenant_id=tenant.tenant_id,
                        id=f"{n}-{i}",
                        subscription_id=subscription.id,
                        event_id=f"e-{n}-{i}",
                        event_type="order.created",
                        body="{}",
                        status="succeeded",
                        attempts=1,
                        round_attempts=1,
                        created_at=now,
                        updated_at=now,
                    )
                )
            uow.commit()

    add(2)
    assert "data-more" not in client.get("/console/webhooks").text
    add(1)
    assert "data-more" in client.get("/console/webhooks").text
