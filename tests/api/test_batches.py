"""Batch sync (issue 17): each item placed on its own, exactly as the single POST places it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from oms.core.batch import MAX_BATCH_ITEMS
from oms.core.uow import Database
from oms.orders.models import Order
from tests.fixtures.orders import order_payload
from tests.fixtures.tenants import TenantKeys

BATCH = "/api/v1/orders/batch"
MOVEMENTS = "/api/v1/stock/movements/batch"


def _orders(tenant_id: str, db: Database) -> int:
    with db.reader() as session:
        return (
            session.scalar(
                select(func.count()).select_from(Order).where(Order.tenant_id == tenant_id)
            )
            or 0
        )


def _order(external_id: str, **overrides: Any) -> dict[str, Any]:
    return order_payload(channel="shopify", external_id=external_id, **overrides)


def test_a_batch_answers_each_item_in_order_new_existing_or_refused(
    client: TestClient, tenant: TenantKeys, db: Database
) -> None:
    existing = client.post("/api/v1/orders", json=_order("E-1"), headers=tenant.headers())
    assert existing.status_code == 201
    short = _order(
        "E-4", lines=[{"sku": "TEA-LJ-250", "name": "龙井", "qty": 999_999, "unit_price": 1}]
    )
    items: list[Any] = [
        _order("E-2"),
        _order("E-1"),  # placed before: the existing order, 200
        {"channel": "shopify", "lines": []},  # not an order: ERR_VALIDATION
        short,  # refused by the service: not enough stock
        "not an object",
        _order("E-2"),  # twice in one batch: the second is the first's order
        _order("E-3"),
    ]
    answer = client.post(BATCH, json={"orders": items}, headers=tenant.headers())
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["index"] for r in results] == list(range(len(items)))
    assert [r["status"] for r in results] == [201, 200, 422, 409, 422, 200, 201]
    assert results[1]["order_id"] == existing.json()["id"]
    assert results[5]["order_id"] == results[0]["order_id"]
    assert results[2] == {"index": 2, "status": 422, "code": "ERR_VALIDATION"}
    assert results[3] == {"index": 3, "status": 409, "code": "ERR_STOCK_INSUFFICIENT"}
    assert set(results[6]) == {"index", "status", "order_id"}
    assert _orders(tenant.tenant_id, db) == 3
    placed = client.get(f"/api/v1/orders/{results[6]['order_id']}", headers=tenant.headers())
    assert placed.json()["external_id"] == "E-3"


def test_a_bad_envelope_or_too_many_items_is_a_problem_and_places_nothing(
    client: TestClient, tenant: TenantKeys, db: Database
) -> None:
    too_many = {"orders": [_order(f"X-{i}") for i in range(MAX_BATCH_ITEMS + 1)]}
    for body in (too_many, {"order": []}, {"orders": "x"}, [_order("X-1")]):
        answer = client.post(BATCH, json=body, headers=tenant.headers())
        assert answer.status_code == 422, body
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["code"] == "ERR_VALIDATION"
    assert _orders(tenant.tenant_id, db) == 0


def test_a_batch_takes_the_role_of_a_single_create(client: TestClient, tenant: TenantKeys) -> None:
    answer = client.post(BATCH, json={"orders": [_order("R-1")]}, headers=tenant.headers("finance"))
    assert (answer.status_code, answer.json()["code"]) == (403, "ERR_AUTH_FORBIDDEN")


def test_the_idempotency_key_replays_the_whole_answer(
    client: TestClient, tenant: TenantKeys, db: Database
) -> None:
    body = {"orders": [_order("I-1"), {"bad": True}, _order("I-2")]}
    headers = tenant.headers(**{"Idempotency-Key": "nightly-2026-12-02"})
    first = client.post(BATCH, json=body, headers=headers)
    again = client.post(BATCH, json=body, headers=headers)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert [r["status"] for r in again.json()["results"]] == [201, 422, 201]  # not 200: replayed
    assert _orders(tenant.tenant_id, db) == 2
    other = client.post(BATCH, json={"orders": [_order("I-3")]}, headers=headers)
    assert (other.status_code, other.json()["code"]) == (422, "ERR_IDEMPOTENCY_KEY_REUSED")


def test_stock_movements_come_in_batches_too(client: TestClient, tenant: TenantKeys) -> None:
    items: list[Any] = [
        {"sku": "SKU-B-1", "kind": "inbound", "qty": 10},
        {"sku": "SKU-B-1", "kind": "deduct", "qty": 99},  # more than there is
        {"sku": "SKU-B-1", "kind": "teleport", "qty": 1},  # no such kind
        {"sku": "SKU-B-1", "kind": "deduct", "qty": 4},
    ]
    answer = client.post(MOVEMENTS, json={"movements": items}, headers=tenant.headers("warehouse"))
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [(r["index"], r["status"]) for r in results] == [(0, 201), (1, 409), (2, 422), (3, 201)]
    assert results[1]["code"] == "ERR_STOCK_INSUFFICIENT" and "ledger_id" not in results[1]
    level = client.get("/api/v1/stock/SKU-B-1", headers=tenant.headers()).json()
    assert level["on_hand"] == 6
    refused = client.post(
        MOVEMENTS, json={"movements": items}, headers=tenant.headers("integration")
    )
    assert refused.status_code == 403
