"""Warehouse shipments over HTTP: matching ones ship the order, mismatches open a ticket."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.fixtures.orders import order_payload
from tests.fixtures.tenants import TenantKeys

LINES = [
    {"sku": "TEA-LJ-250", "name": "龙井", "qty": 2, "unit_price": 32800},
    {"sku": "CUP-GLS-300", "name": "杯", "qty": 1, "unit_price": 6900},
]
LINE_PAIRS = [("TEA-LJ-250", 2), ("CUP-GLS-300", 1)]


def _paid_order(client: TestClient, tenant: TenantKeys) -> str:
    order = client.post("/api/v1/orders", json=order_payload(lines=LINES), headers=tenant.headers())
    order_id: str = order.json()["id"]
    client.post(
        f"/api/v1/orders/{order_id}/events", json={"event": "pay"}, headers=tenant.headers()
    )
    return order_id


def _ship(
    client: TestClient, tenant: TenantKeys, order_id: str, lines: list[tuple[str, int]], **kw: Any
):  # type: ignore[no-untyped-def]
    body = {
        "order_id": order_id,
        "warehouse": "main",
        "carrier": "SF",
        "tracking_no": kw.pop("tracking_no", "SF1234567890"),
        "lines": [{"sku": sku, "qty": qty} for sku, qty in lines],
    } | kw
    return client.post("/api/v1/shipments", json=body, headers=tenant.headers("warehouse"))


def _status(client: TestClient, tenant: TenantKeys, order_id: str) -> str:
    status: str = client.get(f"/api/v1/orders/{order_id}", headers=tenant.headers()).json()[
        "status"
    ]
    return status


def test_a_matching_shipment_ships_the_order(client: TestClient, tenant: TenantKeys) -> None:
    order_id = _paid_order(client, tenant)
    response = _ship(client, tenant, order_id, [("TEA-LJ-250", 2), ("CUP-GLS-300", 1)])
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["order_status"]) == ("accepted", "shipped")
    timeline = client.get(f"/api/v1/orders/{order_id}/timeline", headers=tenant.headers()).json()[
        "items"
    ]
    assert (timeline[-1]["event"], timeline[-1]["source"]) == ("ship", "wms:main")


def test_parcels_ship_partially_then_fully(client: TestClient, tenant: TenantKeys) -> None:
    order_id = _paid_order(client, tenant)
    first = _ship(client, tenant, order_id, [("TEA-LJ-250", 2)], is_final=False)
    assert first.json()["order_status"] == "partially_shipped"
    second = _ship(client, tenant, order_id, [("CUP-GLS-300", 1)], tracking_no="SF0000000002")
    assert second.json()["order_status"] == "shipped"
    shipments = client.get(f"/api/v1/orders/{order_id}/shipments", headers=tenant.headers())
    assert [s["tracking_no"] for s in shipments.json()["items"]] == ["SF1234567890", "SF0000000002"]


def test_the_same_parcel_reported_twice_is_one_shipment(
    client: TestClient, tenant: TenantKeys
) -> None:
    order_id = _paid_order(client, tenant)
    first = _ship(client, tenant, order_id, [("TEA-LJ-250", 2)], is_final=False)
    again = _ship(client, tenant, order_id, [("TEA-LJ-250", 2)], is_final=False)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    other = _paid_order(client, tenant)
    reused = _ship(client, tenant, other, [("TEA-LJ-250", 2)])
    assert (reused.status_code, reused.json()["code"]) == (409, "ERR_SHIPMENT_TRACKING_REUSED")


def test_a_wrong_sku_opens_a_ticket_and_keeps_the_order_from_shipping(
    client: TestClient, tenant: TenantKeys
) -> None:
    order_id = _paid_order(client, tenant)
    response = _ship(client, tenant, order_id, [("TEA-LJ-250", 2), ("MUG-1", 1)])
    body = response.json()
    assert (body["status"], body["order_status"]) == ("mismatched", "paid")
    kinds = {(d["kind"], d["sku"]) for d in body["differences"]}
    assert kinds == {("missing_line", "CUP-GLS-300"), ("extra_line", "MUG-1")}
    ticket = client.get(f"/api/v1/tickets/{body['ticket_id']}", headers=tenant.headers()).json()
    assert (ticket["kind"], ticket["assignee_role"]) == ("fulfilment_mismatch", "warehouse")
    assert ticket["details"]["wrong_sku"] is True
    manual = client.post(
        f"/api/v1/orders/{order_id}/events", json={"event": "ship"}, headers=tenant.headers()
    )
    assert (manual.status_code, manual.json()["code"]) == (409, "ERR_ORDER_FULFILMENT_BLOCKED")
    retry = _ship(client, tenant, order_id, LINE_PAIRS, tracking_no="SF0000000009")
    assert retry.json()["code"] == "ERR_ORDER_FULFILMENT_BLOCKED"
    client.post(
        f"/api/v1/tickets/{body['ticket_id']}/resolve",
        json={"resolution": "repacked"},
        headers=tenant.headers("warehouse"),
    )
    fixed = _ship(client, tenant, order_id, LINE_PAIRS, tracking_no="SF0000000009")
    assert fixed.json()["order_status"] == "shipped"


def test_a_wrong_quantity_opens_a_ticket(client: TestClient, tenant: TenantKeys) -> None:
    order_id = _paid_order(client, tenant)
    body = _ship(client, tenant, order_id, [("TEA-LJ-250", 3), ("CUP-GLS-300", 1)]).json()
    assert body["differences"] == [
        {"kind": "wrong_quantity", "sku": "TEA-LJ-250", "expected": 2, "shipped": 3}
    ]
    assert _status(client, tenant, order_id) == "paid"


def test_an_unpaid_order_cannot_ship(client: TestClient, tenant: TenantKeys) -> None:
    order = client.post("/api/v1/orders", json=order_payload(lines=LINES), headers=tenant.headers())
    response = _ship(client, tenant, order.json()["id"], LINE_PAIRS)
    assert (response.status_code, response.json()["code"]) == (409, "ERR_ORDER_ILLEGAL_TRANSITION")


def test_roles_that_do_not_fulfil_cannot_post_shipments(
    client: TestClient, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    order_id = _paid_order(client, tenant)
    body = {
        "order_id": order_id,
        "warehouse": "main",
        "carrier": "SF",
        "tracking_no": "SF1111",
        "lines": [{"sku": "TEA-LJ-250", "qty": 2}],
    }
    refused = client.post("/api/v1/shipments", json=body, headers=tenant.headers("finance"))
    assert refused.status_code == 403
    foreign = client.post("/api/v1/shipments", json=body, headers=other_tenant.headers("warehouse"))
    assert foreign.json()["code"] == "ERR_ORDER_NOT_FOUND"


def test_a_parcel_older_than_the_payment_is_kept_with_the_conflict_and_its_ticket(
    client: TestClient, tenant: TenantKeys
) -> None:
    """A scan is a fact: the conflict is refused as a status change, never as a shipment."""
    order = client.post("/api/v1/orders", json=order_payload(lines=LINES), headers=tenant.headers())
    order_id = order.json()["id"]
    paid = client.post(
        f"/api/v1/orders/{order_id}/events",
        json={"event": "pay", "source": "gateway:alipay", "occurred_at": "2026-12-01T13:01:00Z"},
        headers=tenant.headers(),
    )
    assert paid.status_code == 200, paid.text
    response = _ship(client, tenant, order_id, LINE_PAIRS, shipped_at="2026-12-01T12:55:00Z")
    assert response.status_code == 409
    assert response.json()["code"] == "ERR_ORDER_STALE_EVENT"
    shipments = client.get(f"/api/v1/orders/{order_id}/shipments", headers=tenant.headers())
    assert [s["tracking_no"] for s in shipments.json()["items"]] == ["SF1234567890"]
    assert _status(client, tenant, order_id) == "paid"
    timeline = client.get(f"/api/v1/orders/{order_id}/timeline", headers=tenant.headers()).json()[
        "items"
    ]
    assert (timeline[-1]["event"], timeline[-1]["outcome"]) == ("ship", "conflict")
    tickets = client.get(
        "/api/v1/tickets", params={"order_id": order_id}, headers=tenant.headers()
    ).json()
    items = tickets["items"] if isinstance(tickets, dict) else tickets
    assert [t["kind"] for t in items] == ["status_conflict"]


def test_shipping_an_order_id_longer_than_any_order_id_is_404_not_500(
    client: TestClient, tenant: TenantKeys
) -> None:
    body = {"carrier": "SF", "tracking_no": "SF1234567890", "lines": [{"sku": "X", "qty": 1}]}
    response = client.post(
        f"/api/v1/orders/{'o' * 37}/shipments", json=body, headers=tenant.headers("warehouse")
    )
    assert response.status_code == 404, response.text
    assert response.json()["code"] == "ERR_ORDER_NOT_FOUND"
