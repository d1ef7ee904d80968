"""Internal order notes over HTTP: write, list, refuse bad text, other tenants, roles."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.fixtures.orders import post_order
from tests.fixtures.tenants import TenantKeys

ORDERS = "/api/v1/orders"


def _order(client: TestClient, tenant: TenantKeys) -> str:
    order_id: str = post_order(client, tenant)["id"]
    return order_id


def _note(client: TestClient, tenant: TenantKeys, order_id: str, body: Any, role: str = "service"):  # type: ignore[no-untyped-def]
    return client.post(
        f"{ORDERS}/{order_id}/notes", json={"body": body}, headers=tenant.headers(role)
    )


def test_a_note_is_stored_with_its_author_and_listed_oldest_first(
    client: TestClient, tenant: TenantKeys
) -> None:
    order_id = _order(client, tenant)
    first = _note(client, tenant, order_id, "  买家来电, 周末再送  ")
    assert first.status_code == 201, first.text
    created = first.json()
    assert created["body"] == "买家来电, 周末再送" and created["order_id"] == order_id
    assert created["author"].startswith("apikey:")
    assert _note(client, tenant, order_id, "second").status_code == 201
    listed = client.get(f"{ORDERS}/{order_id}/notes", headers=tenant.headers("warehouse"))
    assert listed.status_code == 200
    assert [n["body"] for n in listed.json()["items"]] == ["买家来电, 周末再送", "second"]
    timeline = client.get(f"{ORDERS}/{order_id}/timeline", headers=tenant.headers()).json()
    noted = [e for e in timeline["items"] if e["event"] == "note_added"]
    assert len(noted) == 2 and noted[0]["details"]["note_id"] == created["id"]


@pytest.mark.parametrize(
    ("body", "problem"), [("", "empty"), ("   \n ", "empty"), ("字" * 2001, "too_long")]
)
def test_an_empty_or_too_long_note_is_a_problem_with_a_stable_code(
    client: TestClient, tenant: TenantKeys, body: str, problem: str
) -> None:
    order_id = _order(client, tenant)
    response = _note(client, tenant, order_id, body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "ERR_ORDER_NOTE_INVALID"
    assert response.json()["details"]["problem"] == problem
    listed = client.get(f"{ORDERS}/{order_id}/notes", headers=tenant.headers()).json()
    assert listed["items"] == []


def test_a_note_of_exactly_the_limit_is_accepted(client: TestClient, tenant: TenantKeys) -> None:
    order_id = _order(client, tenant)
    assert _note(client, tenant, order_id, "字" * 2000).status_code == 201


def test_a_note_that_is_not_text_is_a_validation_problem(
    client: TestClient, tenant: TenantKeys
) -> None:
    order_id = _order(client, tenant)
    response = _note(client, tenant, order_id, {"nested": True})
    assert response.status_code == 422 and response.json()["code"] == "ERR_VALIDATION"


def test_another_tenants_order_is_not_found_for_writing_and_reading(
    client: TestClient, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    order_id = _order(client, tenant)
    written = _note(client, other_tenant, order_id, "peek")
    assert written.status_code == 404 and written.json()["code"] == "ERR_ORDER_NOT_FOUND"
    read = client.get(f"{ORDERS}/{order_id}/notes", headers=other_tenant.headers())
    assert read.status_code == 404 and read.json()["code"] == "ERR_ORDER_NOT_FOUND"
    assert _note(client, tenant, "no-such-order", "x").status_code == 404


def test_writing_a_note_needs_the_service_permission(
    client: TestClient, tenant: TenantKeys
) -> None:
    order_id = _order(client, tenant)
    refused = _note(client, tenant, order_id, "from the warehouse", role="warehouse")
    assert refused.status_code == 403 and refused.json()["code"] == "ERR_AUTH_FORBIDDEN"
    assert client.get(f"{ORDERS}/{order_id}/notes", headers=tenant.headers()).json()["items"] == []
