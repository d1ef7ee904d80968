"""Paid orders get a fulfilment plan from the worker; ops override it; ship follows it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from oms.core.uow import Database
from tests.fixtures.jobs import app_worker
from tests.fixtures.orders import post_order
from tests.fixtures.tenants import TenantKeys, stock_up


def _pay(client: TestClient, tenant: TenantKeys, order_id: str) -> None:
    paid = client.post(
        f"/api/v1/orders/{order_id}/events", json={"event": "pay"}, headers=tenant.headers()
    )
    assert paid.status_code == 200, paid.text


def _plan(client: TestClient, tenant: TenantKeys, order_id: str) -> Any:
    return client.get(f"/api/v1/orders/{order_id}/fulfilment-plan", headers=tenant.headers())


def _run_jobs(db: Database) -> None:
    worker = app_worker(db)
    while worker.run_once():
        pass


def test_a_paid_order_gets_a_plan_from_the_worker(
    client: TestClient, tenant: TenantKeys, db: Database
) -> None:
    order = post_order(client, tenant)
    assert (
        _plan(client, tenant, order["id"]).status_code,
        _plan(client, tenant, order["id"]).json()["code"],
    ) == (404, "ERR_PLAN_NOT_FOUND")
    _pay(client, tenant, order["id"])
    _run_jobs(db)
    plan = _plan(client, tenant, order["id"])
    assert plan.status_code == 200, plan.text
    body = plan.json()
    assert body["is_complete"] and body["origin"] == "planner"
    [shipment] = body["shipments"]
    assert shipment["warehouse"] == "main" and shipment["carrier"]
    assert sorted((line["sku"], line["qty"]) for line in shipment["lines"]) == [
        ("CUP-GLS-300", 1),
        ("TEA-LJ-250", 2),
    ]
    assert shipment["reasons"][0]["code"] == "follows_reservation"
    assert body["alternatives"]
    timeline = client.get(f"/api/v1/orders/{order['id']}/timeline", headers=tenant.headers()).json()
    assert "fulfilment_plan" in [e["event"] for e in timeline["items"]]


def test_a_cold_chain_sku_is_planned_with_a_cold_chain_carrier(
    client: TestClient, tenant: TenantKeys, db: Database
) -> None:
    stock_up(db, tenant, "BEEF-1", 10)
    attrs = {"needs": ["cold_chain"], "weight_grams": 2000}
    client.put("/api/v1/stock/BEEF-1/attributes", json=attrs, headers=tenant.headers())
    lines = [{"sku": "BEEF-1", "name": "牛排", "qty": 1, "unit_price": 9900}]
    order = post_order(client, tenant, lines=lines)
    _pay(client, tenant, order["id"])
    _run_jobs(db)
    [shipment] = _plan(client, tenant, order["id"]).json()["shipments"]
    assert shipment["carrier"] in {"shunfeng", "jd"}


def test_no_possible_carrier_stores_an_incomplete_plan_and_opens_a_ticket(
    client: TestClient, tenant: TenantKeys, db: Database
) -> None:
    stock_up(db, tenant, "GAS-1", 10)
    client.put(
        "/api/v1/stock/GAS-1/attributes", json={"needs": ["hazardous"]}, headers=tenant.headers()
    )
    order = post_order(
        client, tenant, lines=[{"sku": "GAS-1", "name": "气罐", "qty": 1, "unit_price": 100}]
    )
    _pay(client, tenant, order["id"])
    _run_jobs(db)
    plan = _plan(client, tenant, order["id"]).json()
    assert not plan["is_complete"] and plan["ticket_id"]
    assert plan["shipments"][0]["carrier"] is None
    tickets = client.get(
        "/api/v1/tickets?kind=fulfilment_unplanned", headers=tenant.headers()
    ).json()
    assert [t["id"] for t in tickets["items"]] == [plan["ticket_id"]]


def test_ops_override_the_plan_with_a_reason_on_the_timeline(
    client: TestClient, tenant: TenantKeys, db: Database
) -> None:
    order = post_order(client, tenant)
    _pay(client, tenant, order["id"])
    _run_jobs(db)
    body = {
        "reason": "买家要求顺丰",
        "shipments": [
            {"warehouse": "main", "carrier": "shunfeng", "service": "express",
             "lines": [{"sku": "TEA-LJ-250", "qty": 2}]},
            {"warehouse": "main", "carrier": "yunda", "lines": [{"sku": "CUP-GLS-300", "qty": 1}]},
        ],
    }  # fmt: skip
    url = f"/api/v1/orders/{order['id']}/fulfilment-plan"
    put = client.put(url, json=body, headers=tenant.headers("ops"))
    assert put.status_code == 200, put.text
    assert (put.json()["origin"], put.json()["override_reason"]) == ("override", "买家要求顺丰")
    assert [s["carrier"] for s in _plan(client, tenant, order["id"]).json()["shipments"]] == [
        "shunfeng",
        "yunda",
    ]
    timeline = client.get(f"/api/v1/orders/{order['id']}/timeline", headers=tenant.headers()).json()
    last = timeline["items"][-1]
    assert (last["event"], last["reason"]) == ("fulfilment_plan_override", "买家要求顺丰")
    short = body | {"shipments": body["shipments"][:1]}
    bad = client.put(url, json=short, headers=tenant.headers("ops"))
    assert (bad.status_code, bad.json()["code"]) == (422, "ERR_PLAN_INVALID")
    no_reason = client.put(url, json=body | {"reason": ""}, headers=tenant.headers("ops"))
    assert (no_reason.status_code, no_reason.json()["code"]) == (422, "ERR_VALIDATION")
    refused = client.put(url, json=body, headers=tenant.headers("service"))
    assert refused.status_code == 403


def test_another_tenants_plan_is_not_found(
    client: TestClient, tenant: TenantKeys, other_tenant: TenantKeys, db: Database
) -> None:
    order = post_order(client, tenant)
    _pay(client, tenant, order["id"])
    _run_jobs(db)
    other = _plan(client, other_tenant, order["id"])
    assert (other.status_code, other.json()["code"]) == (404, "ERR_ORDER_NOT_FOUND")
    put = client.put(
        f"/api/v1/orders/{order['id']}/fulfilment-plan",
        json={
            "reason": "x",
            "shipments": [
                {
                    "warehouse": "main",
                    "carrier": "yunda",
                    "lines": [{"sku": "TEA-LJ-250", "qty": 2}],
                }
            ],
        },
        headers=other_tenant.headers(),
    )
    assert put.status_code == 404


def test_shipping_an_order_in_two_parcels_from_the_planned_warehouse(
    client: TestClient, tenant: TenantKeys, db: Database
) -> None:
    order = post_order(client, tenant)
    _pay(client, tenant, order["id"])
    _run_jobs(db)
    url = f"/api/v1/orders/{order['id']}/shipments"
    first = client.post(
        url,
        json={
            "carrier": "shunfeng",
            "tracking_no": "SF100000001",
            "lines": [{"sku": "TEA-LJ-250", "qty": 2}],
        },
        headers=tenant.headers("warehouse"),
    )
    assert first.status_code == 201, first.text
    assert (first.json()["warehouse"], first.json()["order_status"]) == (
        "main",
        "partially_shipped",
    )
    second = client.post(
        url,
        json={
            "carrier": "yunda",
            "tracking_no": "YD200000002",
            "lines": [{"sku": "CUP-GLS-300", "qty": 1}],
        },
        headers=tenant.headers("warehouse"),
    )
    assert second.json()["order_status"] == "shipped"
    listed = client.get(url, headers=tenant.headers()).json()["items"]
    assert [(s["carrier"], s["tracking_no"]) for s in listed] == [
        ("shunfeng", "SF100000001"),
        ("yunda", "YD200000002"),
    ]


def test_bad_ship_requests_are_refused_with_stable_codes(
    client: TestClient, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    order = post_order(client, tenant)
    url = f"/api/v1/orders/{order['id']}/shipments"
    ship = {
        "carrier": "yunda",
        "tracking_no": "YD300000003",
        "lines": [{"sku": "TEA-LJ-250", "qty": 2}],
    }
    unpaid = client.post(url, json=ship, headers=tenant.headers())
    assert (unpaid.status_code, unpaid.json()["code"]) == (409, "ERR_ORDER_ILLEGAL_TRANSITION")
    _pay(client, tenant, order["id"])
    for body in (
        ship | {"lines": []},
        ship | {"tracking_no": "x"},
        ship | {"lines": [{"sku": "TEA-LJ-250", "qty": 0}]},
    ):
        response = client.post(url, json=body, headers=tenant.headers())
        assert (response.status_code, response.json()["code"]) == (422, "ERR_VALIDATION")
    other = client.post(url, json=ship, headers=other_tenant.headers())
    assert (other.status_code, other.json()["code"]) == (404, "ERR_ORDER_NOT_FOUND")
    extra = client.post(
        url, json=ship | {"lines": [{"sku": "NOPE", "qty": 1}]}, headers=tenant.headers()
    )
    assert extra.json()["status"] == "mismatched"
