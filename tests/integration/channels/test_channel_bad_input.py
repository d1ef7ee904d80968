"""Wrong content types and oversized bodies reach the webhook route and leave an inbox row."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from oms.core.models import InboxMessage
from oms.core.uow import Database
from tests.fixtures.channel_deliveries import SHOPIFY_SECRET, body_of, sample, shopify
from tests.fixtures.tenants import TenantKeys

LIMIT = 1024 * 1024


@pytest.fixture
def shop(client: TestClient, tenant: TenantKeys) -> TenantKeys:
    response = client.put(
        "/api/v1/channels/shopify", json={"secret": SHOPIFY_SECRET}, headers=tenant.headers()
    )
    assert response.status_code == 200
    return tenant


def _post(client: TestClient, tenant_id: str, headers: dict[str, str], body: bytes) -> Any:
    url = f"/api/v1/channels/shopify/webhooks/{tenant_id}"
    return client.post(url, content=body, headers=headers)


def _inbox(db: Database) -> list[InboxMessage]:
    with db.reader() as session:
        return list(session.scalars(select(InboxMessage)))


def test_a_delivery_with_a_wrong_content_type_is_recorded_and_refused_with_a_code(
    client: TestClient, db: Database, shop: TenantKeys
) -> None:
    headers, body = shopify(b"id=1&financial_status=paid", webhook_id="ct-1")
    response = _post(client, shop.tenant_id, headers | {"Content-Type": "text/plain"}, body)
    assert (response.status_code, response.json()["code"]) == (400, "ERR_CHANNEL_MALFORMED_PAYLOAD")
    assert response.headers["content-type"] == "application/problem+json"
    [row] = _inbox(db)
    assert (row.verification, row.error_code, row.body) == (
        "rejected",
        "ERR_CHANNEL_MALFORMED_PAYLOAD",
        body,
    )
    assert row.headers["content-type"] == "text/plain"


def test_an_oversized_delivery_is_recorded_cut_to_the_limit_and_refused_413(
    client: TestClient, db: Database, shop: TenantKeys
) -> None:
    payload = sample("shopify_orders_create.json") | {"note": "x" * LIMIT}
    headers, body = shopify(body_of(payload), webhook_id="big-1")
    response = _post(client, shop.tenant_id, headers, body)
    assert (response.status_code, response.json()["code"]) == (413, "ERR_PAYLOAD_TOO_LARGE")
    assert response.headers["content-type"] == "application/problem+json"
    [row] = _inbox(db)
    assert (row.verification, row.error_code) == ("rejected", "ERR_PAYLOAD_TOO_LARGE")
    assert row.body == body[:LIMIT] and row.message_id.startswith("rejected:")
    assert row.details["claimed_message_id"] == "big-1"
    orders = client.get("/api/v1/orders", headers=shop.headers()).json()["items"]
    assert orders == []


def test_a_channel_settings_body_over_the_limit_is_still_refused_at_the_edge(
    client: TestClient, shop: TenantKeys
) -> None:
    response = client.put(
        "/api/v1/channels/shopify",
        content=b'{"secret": "' + b"x" * LIMIT + b'"}',
        headers=shop.headers(**{"Content-Type": "application/json"}),
    )
    assert (response.status_code, response.json()["code"]) == (413, "ERR_PAYLOAD_TOO_LARGE")
