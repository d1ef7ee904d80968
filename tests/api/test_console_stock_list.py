"""The stock list: every SKU without a search term, paged, filtered, sorted, corrected."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from oms.console import stock_list
from oms.core.uow import Database
from tests.fixtures.orders import order_payload
from tests.fixtures.tenants import STOCKED_UNITS, TenantKeys, stock_up
from tests.fixtures.users import console_user, log_in


def _skus(html: str) -> list[str]:
    return re.findall(r'<tbody data-sku="([^"]+)"', html)


def _next(html: str) -> str | None:
    found = re.search(r'<a href="([^"]+)" rel="next"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def _safety(client: TestClient, tenant: TenantKeys, sku: str, units: int) -> None:
    response = client.put(
        f"/api/v1/stock/{sku}/safety-stock",
        json={"safety_stock": units},
        headers=tenant.headers("warehouse"),
    )
    assert response.status_code == 204, response.text


@pytest.fixture
def shelves(db: Database, tenant: TenantKeys) -> TenantKeys:
    """Besides the two stocked SKUs: a few small ones, one of them under its safety stock."""
    for sku, units in (("BAG-01", 3), ("BAG-02", 7), ("BOX-01", 12)):
        stock_up(db, tenant, sku, units)
    return tenant


def test_the_stock_list_shows_every_sku_without_a_search_and_pages_by_cursor(
    client: TestClient, db: Database, shelves: TenantKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stock_list, "LIST_SIZE", 2)
    log_in(client, console_user(db, shelves.tenant_id, "warehouse"))
    seen: list[str] = []
    url: str | None = "/console/stock"
    while url:
        page = client.get(url)
        assert page.status_code == 200, page.text
        assert len(_skus(page.text)) <= 2
        seen += _skus(page.text)
        url = _next(page.text)
    assert seen == ["BAG-01", "BAG-02", "BOX-01", "CUP-GLS-300", "TEA-LJ-250"]
    forged = client.get("/console/stock", params={"cursor": "not-a-cursor"})
    assert forged.status_code == 422 and "ERR_VALIDATION" in forged.text


def test_the_stock_list_filters_by_safety_stock_available_and_name_and_sorts(
    client: TestClient, db: Database, shelves: TenantKeys
) -> None:
    client.post("/api/v1/orders", json=order_payload(), headers=shelves.headers())
    _safety(client, shelves, "BOX-01", 5)  # available 7, not below 5
    _safety(client, shelves, "BAG-02", 4)  # available 3, below 4
    log_in(client, console_user(db, shelves.tenant_id, "service"))

    def listed(**params: str) -> list[str]:
        return _skus(client.get("/console/stock", params=params).text)

    assert listed(below_safety="1") == ["BAG-02"]
    assert listed(available_max="7") == ["BAG-01", "BAG-02", "BOX-01"]
    assert listed(available_max="3", below_safety="1") == ["BAG-02"]
    assert listed(q="BAG") == ["BAG-01", "BAG-02"]
    assert listed(q="龙井") == ["TEA-LJ-250"]  # the product name on its order lines
    # The order holds 2 TEA-LJ-250 and 1 CUP-GLS-300; ties go by SKU.
    by_available = ["BAG-01", "BAG-02", "BOX-01", "TEA-LJ-250", "CUP-GLS-300"]
    assert listed(sort="available") == by_available
    assert listed(sort="-available") == by_available[::-1]
    page = client.get("/console/stock").text
    assert "西湖龙井" in page and 'data-below-safety="true"' in page
    refused = client.get("/console/stock", params={"available_max": "-1"})
    assert refused.status_code == 422 and "ERR_VALIDATION" in refused.text


def test_a_sort_cursor_is_refused_by_another_sort(
    client: TestClient, db: Database, shelves: TenantKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stock_list, "LIST_SIZE", 2)
    log_in(client, console_user(db, shelves.tenant_id, "service"))
    by_available = _next(client.get("/console/stock", params={"sort": "available"}).text)
    assert by_available is not None and "sort=available" in by_available
    cursor = re.search(r"cursor=([^&]+)", by_available)
    assert cursor is not None
    other = client.get("/console/stock", params={"cursor": cursor.group(1)})
    assert other.status_code == 422


def test_a_warehouse_user_corrects_a_sku_from_the_list_and_stays_on_it(
    client: TestClient, db: Database, shelves: TenantKeys
) -> None:
    csrf = log_in(client, console_user(db, shelves.tenant_id, "warehouse"))
    url = "/console/stock?below_safety=1"
    _safety(client, shelves, "BAG-01", 5)
    page = client.get(url).text
    assert _skus(page) == ["BAG-01"]
    block = page.split('<tbody data-sku="BAG-01"', 1)[1]
    versions = re.findall(r'name="expected_version" value="([^"]+)"', block.split("</tbody>")[0])
    data: dict[str, Any] = {
        "csrf_token": csrf,
        "back": "/console/stock?below_safety=1",
        "kind": "correction",
        "warehouse": "main",
        "qty": "10",
        "reason": "盘点",
        "expected_version": versions,
    }
    response = client.post("/console/stock/BAG-01/movements", data=data, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/console/stock?done=recorded&below_safety=1"
    after = client.get(response.headers["location"]).text
    assert "库存变动已记录" in after and _skus(after) == []  # no longer below its safety stock
    ledger = client.get("/api/v1/stock/BAG-01/ledger", headers=shelves.headers()).json()
    assert (ledger["items"][0]["kind"], ledger["items"][0]["delta_on_hand"]) == ("correction", 10)
    stale = client.post("/console/stock/BAG-01/movements", data=data, follow_redirects=False)
    assert "error=ERR_STOCK_VERSION_MISMATCH" in stale.headers["location"]


def test_the_ledger_names_orders_by_number_warehouses_by_name_and_reasons_in_language(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    order = client.post("/api/v1/orders", json=order_payload(), headers=tenant.headers()).json()
    cancelled = client.post(
        f"/api/v1/orders/{order['id']}/events", json={"event": "cancel"}, headers=tenant.headers()
    )
    assert cancelled.status_code == 200, cancelled.text
    log_in(client, console_user(db, tenant.tenant_id, "service"))
    page = client.get("/console/stock/TEA-LJ-250").text
    assert f'data-order-ref="{order["id"]}">{order["order_no"]}</a>' in page
    assert 'data-reason="cancel">取消订单<' in page
    assert STOCKED_UNITS > 0 and 'data-warehouse="main">' in page
