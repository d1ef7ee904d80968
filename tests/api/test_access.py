"""Who may do what: 401 without a key, 403 for the wrong role, 404 across tenants."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.fixtures.orders import order_payload
from tests.fixtures.tenants import TenantKeys

ORDERS = "/api/v1/orders"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer oms_not-a-real-key"}, {"Authorization": "Basic abc"}],
    ids=["missing", "unknown", "wrong-scheme"],
)
def test_requests_without_a_valid_key_are_401(client: TestClient, headers: dict[str, str]) -> None:
    response = client.get(ORDERS, headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "ERR_AUTH_REQUIRED"


@pytest.mark.parametrize("role", ["finance", "warehouse"])
def test_roles_that_may_not_create_orders_get_403(
    client: TestClient, tenant: TenantKeys, role: str
) -> None:
    response = client.post(ORDERS, json=order_payload(), headers=tenant.headers(role))
    assert response.status_code == 403
    assert response.json()["code"] == "ERR_AUTH_FORBIDDEN"


@pytest.mark.parametrize(
    ("role", "event", "allowed"),
    [
        ("integration", "pay", True),
        ("finance", "pay", True),
        ("warehouse", "pay", False),
        ("service", "pay", False),
        ("service", "cancel", True),
        ("warehouse", "cancel", False),
        ("finance", "cancel", False),
    ],
)
def test_event_permissions_follow_the_role_table(
    client: TestClient, tenant: TenantKeys, role: str, event: str, allowed: bool
) -> None:
    order = client.post(ORDERS, json=order_payload(), headers=tenant.headers()).json()
    response = client.post(
        f"{ORDERS}/{order['id']}/events", json={"event": event}, headers=tenant.headers(role)
    )
    assert response.status_code == (200 if allowed else 403), response.text


def test_every_role_may_read_orders(client: TestClient, tenant: TenantKeys) -> None:
    for role in tenant.keys:
        assert client.get(ORDERS, headers=tenant.headers(role)).status_code == 200


def test_another_tenants_order_is_a_404_everywhere(
    client: TestClient, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    order = client.post(ORDERS, json=order_payload(), headers=tenant.headers()).json()
    url = f"{ORDERS}/{order['id']}"
    intruder = other_tenant.headers()
    assert client.get(url, headers=intruder).json()["code"] == "ERR_ORDER_NOT_FOUND"
    assert client.get(f"{url}/timeline", headers=intruder).status_code == 404
    assert (
        client.post(f"{url}/events", json={"event": "cancel"}, headers=intruder).status_code == 404
    )
    assert client.get(ORDERS, headers=intruder).json()["items"] == []
    untouched = client.get(url, headers=tenant.headers()).json()
    assert untouched["status"] == "pending_payment"


def test_an_admin_issues_keys_shown_once_and_other_roles_may_not(
    client: TestClient, tenant: TenantKeys
) -> None:
    created = client.post("/api/v1/api-keys", json={"role": "ops"}, headers=tenant.headers())
    assert created.status_code == 201
    key = created.json()["api_key"]
    assert client.get(ORDERS, headers={"Authorization": f"Bearer {key}"}).status_code == 200
    refused = client.post("/api/v1/api-keys", json={"role": "admin"}, headers=tenant.headers("ops"))
    assert refused.status_code == 403


def test_the_jobs_api_is_for_admin_and_ops_only(client: TestClient, tenant: TenantKeys) -> None:
    assert client.get("/api/v1/jobs", headers=tenant.headers("ops")).status_code == 200
    assert client.get("/api/v1/jobs", headers=tenant.headers("service")).status_code == 403
