"""GET /api/v1/refunds pages through core/paging, oldest request first, filters kept."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.fixtures.paging import walk
from tests.fixtures.tenants import TenantKeys
from tests.integration.refunds.conftest import channel_paid_order, request


def test_refunds_are_walked_page_by_page_each_once(client: TestClient, tenant: TenantKeys) -> None:
    order = channel_paid_order(client, tenant)
    other = channel_paid_order(client, tenant)
    asked = [request(client, tenant, order_id=order["id"], amount=100) for _ in range(3)]
    asked.append(request(client, tenant, order_id=other["id"], amount=100))
    assert all(r.status_code == 201 for r in asked), [r.text for r in asked]
    seen, flags = walk(client, "/api/v1/refunds", tenant.headers())
    assert [r["id"] for r in seen] == [r.json()["id"] for r in asked]
    assert flags == [True, False]
    one_order, flags = walk(
        client, "/api/v1/refunds", tenant.headers(), params={"order_id": order["id"]}
    )
    assert [r["id"] for r in one_order] == [r.json()["id"] for r in asked[:3]]
    assert flags == [True, False]
