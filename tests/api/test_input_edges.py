"""Input at the edges: calendar extremes, numbers for dates, amounts that would overflow BIGINT.

Every case answers 422 problem+json with a stable code on SQLite and PostgreSQL alike, and
writes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from oms.core.money import MAX_AMOUNT, MAX_QTY
from oms.core.uow import Database
from tests.fixtures.orders import order_payload
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.users import console_user, log_in

ORDERS = "/api/v1/orders"
EDGES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"]
NOT_DATES: list[Any] = [1700000000, "1700000000", "1700000000.5", True]
LIST_PARAMS = ["updated_since", "created_from", "created_to", "updated_from", "updated_to"]


def _problem(response: Any, code: str) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def _order_count(client: TestClient, tenant: TenantKeys) -> int:
    return len(client.get(ORDERS, headers=tenant.headers()).json()["items"])


def _order(client: TestClient, tenant: TenantKeys) -> dict[str, Any]:
    created = client.post(ORDERS, json=order_payload(), headers=tenant.headers())
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


@pytest.mark.parametrize("value", EDGES + NOT_DATES)
def test_placed_at_at_the_calendar_edges_or_as_a_number_is_422(
    client: TestClient, tenant: TenantKeys, value: Any
) -> None:
    response = client.post(ORDERS, json=order_payload(placed_at=value), headers=tenant.headers())
    body = _problem(response, "ERR_VALIDATION")
    assert body["details"]["errors"][0]["path"] == "placed_at"
    assert _order_count(client, tenant) == 0


@pytest.mark.parametrize("value", EDGES + NOT_DATES)
def test_occurred_at_at_the_calendar_edges_or_as_a_number_is_422(
    client: TestClient, tenant: TenantKeys, value: Any
) -> None:
    order = _order(client, tenant)
    response = client.post(
        f"{ORDERS}/{order['id']}/events",
        json={"event": "pay", "occurred_at": value},
        headers=tenant.headers(),
    )
    _problem(response, "ERR_VALIDATION")
    after = client.get(f"{ORDERS}/{order['id']}", headers=tenant.headers()).json()
    assert (after["status"], after["version"]) == ("pending_payment", order["version"])


@pytest.mark.parametrize("param", LIST_PARAMS)
@pytest.mark.parametrize("value", [*EDGES, "1700000000"])
def test_list_filters_at_the_calendar_edges_or_as_a_number_are_422(
    client: TestClient, tenant: TenantKeys, param: str, value: str
) -> None:
    response = client.get(ORDERS, params={param: value}, headers=tenant.headers())
    body = _problem(response, "ERR_VALIDATION")
    assert body["details"]["errors"][0]["path"] == param


@pytest.mark.parametrize("value", [*EDGES, 1700000000])
def test_shipped_at_at_the_calendar_edges_or_as_a_number_is_422(
    client: TestClient, tenant: TenantKeys, value: Any
) -> None:
    order = _order(client, tenant)
    shipment = {
        "order_id": order["id"],
        "warehouse": "main",
        "carrier": "SF",
        "tracking_no": "SF1234567890",
        "lines": [{"sku": "TEA-LJ-250", "qty": 2}],
        "shipped_at": value,
    }
    response = client.post("/api/v1/shipments", json=shipment, headers=tenant.headers("warehouse"))
    _problem(response, "ERR_VALIDATION")


def test_date_times_inside_the_range_are_still_accepted(
    client: TestClient, tenant: TenantKeys
) -> None:
    placed = "2026-01-24T13:00:00+08:00"
    order = client.post(ORDERS, json=order_payload(placed_at=placed), headers=tenant.headers())
    assert order.status_code == 201, order.text
    assert datetime.fromisoformat(order.json()["placed_at"]) == datetime.fromisoformat(placed)
    edges = {"created_from": "1970-01-01T00:00:00Z", "created_to": "2999-12-31T23:59:59+00:00"}
    listed = client.get(ORDERS, params=edges, headers=tenant.headers())
    assert listed.status_code == 200 and len(listed.json()["items"]) == 1


def test_a_naive_date_time_is_refused_not_guessed(client: TestClient, tenant: TenantKeys) -> None:
    response = client.post(
        ORDERS, json=order_payload(placed_at="2026-01-24T13:00:00"), headers=tenant.headers()
    )
    _problem(response, "ERR_VALIDATION")


def _line(qty: int, unit_price: int) -> dict[str, Any]:
    return {"sku": "TEA-LJ-250", "name": "西湖龙井", "qty": qty, "unit_price": unit_price}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"lines": [_line(1_000_000, 10**13)]}, "lines[0].unit_price"),
        ({"lines": [_line(1_000_000, 10**7)]}, "lines[0].line_total"),
        ({"lines": [_line(1, 10**400)]}, "lines[0].unit_price"),
        ({"lines": [_line(MAX_QTY + 1, 1)]}, "lines[0].qty"),
        ({"lines": [_line(2**63, 0)]}, "lines[0].qty"),
        ({"lines": [_line(1, MAX_AMOUNT)] * 2}, "subtotal"),
        ({"lines": [_line(1, MAX_AMOUNT)], "shipping_fee": 1}, "subtotal + shipping_fee"),
        ({"shipping_fee": 2**63}, "shipping_fee"),
        ({"discount": MAX_AMOUNT + 1}, "discount"),
    ],
)
def test_amounts_beyond_the_bounds_are_422_invalid_amounts_on_every_backend(
    client: TestClient, tenant: TenantKeys, overrides: dict[str, Any], field: str
) -> None:
    response = client.post(ORDERS, json=order_payload(**overrides), headers=tenant.headers())
    body = _problem(response, "ERR_ORDER_INVALID_AMOUNTS")
    assert body["details"]["field"] == field
    assert _order_count(client, tenant) == 0


def test_an_order_at_the_maximum_amount_is_accepted(client: TestClient, tenant: TenantKeys) -> None:
    payload = order_payload(lines=[_line(1, MAX_AMOUNT - 1000)], shipping_fee=1000, discount=0)
    response = client.post(ORDERS, json=payload, headers=tenant.headers())
    assert response.status_code == 201, response.text
    assert response.json()["totals"]["total"] == MAX_AMOUNT


@pytest.mark.parametrize("params", [{"created_to": "9999-12-31"}, {"created_from": "0001-01-01"}])
def test_console_date_filters_at_the_calendar_edges_show_a_message(
    client: TestClient, db: Database, tenant: TenantKeys, params: dict[str, str]
) -> None:
    log_in(client, console_user(db, tenant.tenant_id, "service"))
    response = client.get("/console/orders", params=params)
    assert response.status_code == 422
    assert "text/html" in response.headers["content-type"]
    assert 'data-code="ERR_DATE_OUT_OF_RANGE"' in response.text
    assert "日期须在 1970-01-02 至 2999-12-30 之间。" in response.text
    assert client.get("/console/orders", params={"created_to": "2999-12-30"}).status_code == 200


@pytest.mark.parametrize("amount", [MAX_AMOUNT + 1, 2**63, 10**400])
def test_a_refund_amount_beyond_the_bound_is_422(
    client: TestClient, tenant: TenantKeys, amount: int
) -> None:
    order = _order(client, tenant)
    body = {"order_id": order["id"], "amount": amount, "reason": "quality"}
    response = client.post("/api/v1/refunds", json=body, headers=tenant.headers())
    assert _problem(response, "ERR_VALIDATION")["details"]["errors"][0]["path"] == "amount"
