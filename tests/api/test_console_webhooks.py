"""The console's webhooks page: inbound deliveries, health findings, subscriptions, replay."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from oms.config import Settings
from oms.core.uow import Database
from oms.webhooks import service as webhooks
from oms.webhooks.schemas import SubscriptionIn
from tests.fixtures.channel_deliveries import SHOPIFY_SECRET, sample, shopify
from tests.fixtures.jobs import app_worker
from tests.fixtures.orders import order_payload
from tests.fixtures.robots import FakeServer, serve
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.users import console_user, log_in

SETTINGS = Settings(env="test", embedded_worker=False, webhook_allow_private_networks=True)


@pytest.fixture
def receiver() -> Iterator[FakeServer]:
    with serve(lambda _request: (200, {"ok": True})) as server:
        yield server


def _delivered(client: TestClient, db: Database, tenant: TenantKeys, url: str) -> str:
    """A subscription (with a token in its query) and one delivery sent; returns its id."""
    data = SubscriptionIn(url=f"{url}/hook?token=s3cret", event_types=["order.created"])
    webhooks.create_subscription(db, tenant.actor(), data, allow_private=True)
    assert client.post("/api/v1/orders", json=order_payload(), headers=tenant.headers()).is_success
    worker = app_worker(db, SETTINGS)
    while worker.run_once():
        pass
    (delivery,) = client.get("/api/v1/webhooks/deliveries", headers=tenant.headers()).json()[
        "items"
    ]
    assert delivery["status"] == "succeeded"
    return str(delivery["id"])


def _inbound(client: TestClient, tenant: TenantKeys) -> None:
    client.put(
        "/api/v1/channels/shopify", json={"secret": SHOPIFY_SECRET}, headers=tenant.headers()
    )
    headers, body = shopify(sample("shopify_orders_create.json"), webhook_id="wh-ok")
    client.post(
        f"/api/v1/channels/shopify/webhooks/{tenant.tenant_id}", content=body, headers=headers
    )
    forged = headers | {"X-Shopify-Hmac-Sha256": "AAAA", "X-Shopify-Webhook-Id": "wh-forged"}
    client.post(
        f"/api/v1/channels/shopify/webhooks/{tenant.tenant_id}", content=body, headers=forged
    )


def _replay(client: TestClient, csrf: str | None, delivery_id: str) -> Any:
    data = {"delivery_id": delivery_id} | ({"csrf_token": csrf} if csrf else {})
    return client.post("/console/webhooks/replay", data=data, follow_redirects=False)


def test_the_page_shows_inbound_deliveries_findings_and_subscriptions(
    client: TestClient, db: Database, tenant: TenantKeys, receiver: FakeServer
) -> None:
    delivery_id = _delivered(client, db, tenant, receiver.url)
    _inbound(client, tenant)
    log_in(client, console_user(db, tenant.tenant_id, "ops"))
    html = client.get("/console/webhooks").text
    assert 'data-nav="webhooks"' in html and "Webhook 消息" in html
    rejected = html.split('data-verification="rejected"', 1)[1].split("</tr>", 1)[0]
    assert "wh-forged" in rejected and "ERR_CHANNEL_SIGNATURE_INVALID" in rejected
    assert 'data-verification="verified"' in html and "验签通过" in html
    assert 'data-check="signature_failures"' in html and "处理建议" in html
    assert f"{receiver.url}/hook" in html and "s3cret" not in html
    assert f'<tr data-delivery-id="{delivery_id}" data-status="succeeded">' in html
    assert 'action="/console/webhooks/replay"' in html


def test_replay_sends_the_delivery_again(
    client: TestClient, db: Database, tenant: TenantKeys, receiver: FakeServer
) -> None:
    delivery_id = _delivered(client, db, tenant, receiver.url)
    csrf = log_in(client, console_user(db, tenant.tenant_id, "admin"))
    response = _replay(client, csrf, delivery_id)
    assert response.status_code == 303
    assert response.headers["location"] == f"/console/webhooks?replayed={delivery_id}"
    html = client.get(response.headers["location"]).text
    assert f"推送 {delivery_id} 已重新排队发送。" in html
    assert f'<tr data-delivery-id="{delivery_id}" data-status="pending">' in html
    again = _replay(client, csrf, delivery_id)
    assert again.headers["location"] == "/console/webhooks?error=ERR_WEBHOOK_DELIVERY_IN_PROGRESS"


def test_a_role_without_permission_gets_no_link_and_403(
    client: TestClient, db: Database, tenant: TenantKeys, receiver: FakeServer
) -> None:
    delivery_id = _delivered(client, db, tenant, receiver.url)
    csrf = log_in(client, console_user(db, tenant.tenant_id, "service"))
    assert 'data-nav="webhooks"' not in client.get("/console/orders").text
    assert client.get("/console/webhooks").status_code == 403
    assert _replay(client, csrf, delivery_id).status_code == 403
    assert _status(client, tenant, delivery_id) == "succeeded"


def test_a_replay_without_csrf_token_is_refused(
    client: TestClient, db: Database, tenant: TenantKeys, receiver: FakeServer
) -> None:
    delivery_id = _delivered(client, db, tenant, receiver.url)
    log_in(client, console_user(db, tenant.tenant_id, "ops"))
    response = _replay(client, None, delivery_id)
    assert response.status_code == 403
    assert "ERR_AUTH_CSRF_FAILED" in response.text
    assert _status(client, tenant, delivery_id) == "succeeded"


def _status(client: TestClient, tenant: TenantKeys, delivery_id: str) -> str:
    url = f"/api/v1/webhooks/deliveries/{delivery_id}"
    status: str = client.get(url, headers=tenant.headers()).json()["status"]
    return status


def test_times_are_in_the_tenant_zone(
    client: TestClient, db: Database, tenant: TenantKeys, receiver: FakeServer
) -> None:
    _delivered(client, db, tenant, receiver.url)
    _inbound(client, tenant)
    log_in(client, console_user(db, tenant.tenant_id, "ops", locale="en"))
    html = client.get("/console/webhooks").text
    assert "Inbound deliveries" in html and "Signature verified" in html
    assert re.search(r"<td data-label=\"Received at\">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d</td>", html)
