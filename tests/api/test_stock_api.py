"""The stock and tickets APIs, black box."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from oms.core.clock import ManualClock
from tests.fixtures.orders import order_payload
from tests.fixtures.tenants import TenantKeys

SKU = "API-SKU"


def _move(client: TestClient, tenant: TenantKeys, role: str = "warehouse", **body: Any):  # type: ignore[no-untyped-def]
    payload = {"sku": SKU, "kind": "inbound", "qty": 10} | body
    return client.post("/api/v1/stock/movements", json=payload, headers=tenant.headers(role))


def _order(client: TestClient, tenant: TenantKeys, qty: int) -> Any:
    lines = [{"sku": SKU, "name": "x", "qty": qty, "unit_price": 100}]
    return client.post("/api/v1/orders", json=order_payload(lines=lines), headers=tenant.headers())


def test_a_movement_answers_201_with_the_new_level(client: TestClient, tenant: TenantKeys) -> None:
    response = _move(client, tenant)
    assert response.status_code == 201
    stock = response.json()["stock"]
    assert (stock["on_hand"], stock["reserved"], stock["available"]) == (10, 0, 10)
    assert stock["warehouses"][0]["warehouse"] == "main"


def test_stock_writes_are_for_warehouse_and_ops_only(
    client: TestClient, tenant: TenantKeys
) -> None:
    assert _move(client, tenant, role="ops").status_code == 201
    refused = _move(client, tenant, role="service")
    assert (refused.status_code, refused.json()["code"]) == (403, "ERR_AUTH_FORBIDDEN")
    read = client.get(f"/api/v1/stock/{SKU}", headers=tenant.headers("service"))
    assert read.status_code == 200


def test_a_stale_expected_version_is_409_with_the_current_figures(
    client: TestClient, tenant: TenantKeys
) -> None:
    _move(client, tenant)
    response = _move(client, tenant, kind="deduct", qty=1, expected_version=1)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "ERR_STOCK_VERSION_MISMATCH"
    assert body["details"]["current_version"] == 2 and body["details"]["on_hand"] == 10


def test_bad_movements_are_refused_with_codes(client: TestClient, tenant: TenantKeys) -> None:
    assert _move(client, tenant, kind="reserve").json()["code"] == "ERR_VALIDATION"
    assert _move(client, tenant, qty=-3).json()["code"] == "ERR_VALIDATION"
    assert (
        _move(client, tenant, warehouse="nowhere").json()["code"] == "ERR_STOCK_UNKNOWN_WAREHOUSE"
    )
    over = _move(client, tenant, kind="deduct", qty=1)
    assert (over.status_code, over.json()["code"]) == (409, "ERR_STOCK_INSUFFICIENT")


def test_an_order_beyond_the_stock_is_409_naming_the_short_line(
    client: TestClient, tenant: TenantKeys
) -> None:
    _move(client, tenant, qty=2)
    response = _order(client, tenant, 3)
    assert response.status_code == 409
    assert response.json()["code"] == "ERR_STOCK_INSUFFICIENT"
    assert response.json()["details"]["lines"] == [{"sku": SKU, "requested": 3, "available": 2}]
    assert client.get("/api/v1/orders", headers=tenant.headers()).json()["items"] == []


def test_levels_ledger_and_an_orders_holds_are_readable(
    client: TestClient, tenant: TenantKeys, clock: ManualClock
) -> None:
    _move(client, tenant)
    order = _order(client, tenant, 4).json()
    clock.advance(timedelta(seconds=2))  # past the read cache
    level = client.get(f"/api/v1/stock/{SKU}", headers=tenant.headers()).json()
    assert (level["reserved"], level["available"]) == (4, 6)
    batch = client.get("/api/v1/stock", params={"sku": [SKU, "NONE"]}, headers=tenant.headers())
    assert [s["available"] for s in batch.json()] == [6, 0]
    ledger = client.get(f"/api/v1/stock/{SKU}/ledger", headers=tenant.headers()).json()["items"]
    assert [e["kind"] for e in ledger] == ["reserve", "inbound"]
    holds = client.get(f"/api/v1/orders/{order['id']}/reservations", headers=tenant.headers())
    assert [(h["qty"], h["status"]) for h in holds.json()["items"]] == [(4, "active")]


def test_another_tenants_order_holds_are_a_404(
    client: TestClient, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    _move(client, tenant)
    order = _order(client, tenant, 1).json()
    response = client.get(
        f"/api/v1/orders/{order['id']}/reservations", headers=other_tenant.headers()
    )
    assert response.status_code == 404


def test_warehouses_can_be_added_and_listed_by_priority(
    client: TestClient, tenant: TenantKeys
) -> None:
    for code, priority in (("sz", 2), ("hz", 1)):
        created = client.post(
            "/api/v1/warehouses",
            json={"code": code, "name": code, "priority": priority},
            headers=tenant.headers("ops"),
        )
        assert created.status_code == 201
    codes = [
        w["code"]
        for w in client.get("/api/v1/warehouses", headers=tenant.headers()).json()["items"]
    ]
    assert codes == ["main", "hz", "sz"]  # main: the stocked fixture's default, priority 0
    again = client.post(
        "/api/v1/warehouses", json={"code": "hz", "name": "x"}, headers=tenant.headers("ops")
    )
    assert again.json()["code"] == "ERR_CONFLICT"


def test_an_untracked_sku_sells_without_stock_and_tracking_switches_back(
    client: TestClient, tenant: TenantKeys
) -> None:
    off = client.put(
        f"/api/v1/stock/{SKU}/tracking", json={"tracked": False}, headers=tenant.headers("ops")
    )
    assert (off.status_code, off.json()["tracked"]) == (200, False)
    assert client.get(f"/api/v1/stock/{SKU}", headers=tenant.headers()).json()["tracked"] is False
    placed = _order(client, tenant, 3)
    assert placed.status_code == 201 and placed.json()["stock_shortage"] is False
    on = client.put(
        f"/api/v1/stock/{SKU}/tracking", json={"tracked": True}, headers=tenant.headers("ops")
    )
    assert on.json()["tracked"] is True
    refused = _order(client, tenant, 3)
    assert (refused.status_code, refused.json()["code"]) == (409, "ERR_STOCK_INSUFFICIENT")
    bad = client.put(
        f"/api/v1/stock/{SKU}/tracking", json={"tracked": "maybe"}, headers=tenant.headers("ops")
    )
    assert (bad.status_code, bad.headers["content-type"]) == (422, "application/problem+json")
    service = client.put(
        f"/api/v1/stock/{SKU}/tracking", json={"tracked": False}, headers=tenant.headers("service")
    )
    assert service.status_code == 403


def test_allow_shortage_records_a_web_order_that_cannot_ship_yet(
    client: TestClient, tenant: TenantKeys
) -> None:
    lines = [{"sku": SKU, "name": "x", "qty": 2, "unit_price": 100}]
    body = order_payload(lines=lines, allow_shortage=True)
    placed = client.post("/api/v1/orders", json=body, headers=tenant.headers())
    assert placed.status_code == 201
    order = placed.json()
    assert order["stock_shortage"] is True and order["lines"][0]["short_qty"] == 2
    paid = client.post(
        f"/api/v1/orders/{order['id']}/events", json={"event": "pay"}, headers=tenant.headers()
    )
    assert paid.status_code == 200
    ship = client.post(
        f"/api/v1/orders/{order['id']}/events", json={"event": "ship"}, headers=tenant.headers()
    )
    assert (ship.status_code, ship.json()["code"]) == (409, "ERR_ORDER_STOCK_SHORT")
