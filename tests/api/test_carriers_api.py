"""Carriers per tenant over HTTP: the built-in set until the tenant writes, Kuaidi100 codes."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.fixtures.tenants import TenantKeys


def _carrier(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": "zhaijisong",
        "name": "宅急送",
        "tier": 2,
        "capabilities": ["fragile"],
        "regions": ["浙江", "上海市"],
        "max_weight_grams": 20_000,
        "services": [
            {"code": "standard", "name": "标准", "sla_hours": 48, "first_fee": 800,
             "additional_fee_per_kg": 300},
        ],
    }  # fmt: skip
    return body | overrides


def _codes(client: TestClient, tenant: TenantKeys) -> list[str]:
    response = client.get("/api/v1/carriers?limit=100", headers=tenant.headers())
    assert response.status_code == 200
    return [c["code"] for c in response.json()["items"]]


def test_a_new_tenant_reads_the_default_carriers(client: TestClient, tenant: TenantKeys) -> None:
    codes = _codes(client, tenant)
    assert {
        "shunfeng",
        "jd",
        "yuantong",
        "zhongtong",
        "yunda",
        "ems",
        "shentong",
        "jtexpress",
    } <= set(codes)
    sf = client.get("/api/v1/carriers/shunfeng", headers=tenant.headers()).json()
    assert "cold_chain" in sf["capabilities"] and sf["version"] == 0


def test_the_defaults_page_by_cursor_like_rows(client: TestClient, tenant: TenantKeys) -> None:
    first = client.get("/api/v1/carriers?limit=4", headers=tenant.headers()).json()
    assert first["has_more"] and len(first["items"]) == 4
    rest = client.get(
        f"/api/v1/carriers?limit=100&cursor={first['next_cursor']}", headers=tenant.headers()
    ).json()
    assert [c["code"] for c in first["items"] + rest["items"]] == _codes(client, tenant)


def test_adding_a_carrier_keeps_the_defaults_and_normalises_regions(
    client: TestClient, tenant: TenantKeys
) -> None:
    created = client.post("/api/v1/carriers", json=_carrier(), headers=tenant.headers())
    assert created.status_code == 201, created.text
    assert created.json()["regions"] == ["上海市", "浙江省"]
    assert {"zhaijisong", "shunfeng"} <= set(_codes(client, tenant))
    again = client.post("/api/v1/carriers", json=_carrier(), headers=tenant.headers())
    assert (again.status_code, again.json()["code"]) == (409, "ERR_CARRIER_EXISTS")


def test_replacing_and_removing_a_carrier(client: TestClient, tenant: TenantKeys) -> None:
    put = client.put(
        "/api/v1/carriers/yunda", json=_carrier(code="yunda", tier=1), headers=tenant.headers()
    )
    assert (put.status_code, put.json()["tier"], put.json()["version"]) == (200, 1, 2)
    gone = client.delete("/api/v1/carriers/ems", headers=tenant.headers())
    assert gone.status_code == 204
    assert "ems" not in _codes(client, tenant)
    again = client.delete("/api/v1/carriers/ems", headers=tenant.headers())
    assert (again.status_code, again.json()["code"]) == (404, "ERR_CARRIER_NOT_FOUND")


def test_bad_carriers_are_refused_with_stable_codes(client: TestClient, tenant: TenantKeys) -> None:
    cases = [
        (_carrier(regions=["Atlantis"]), 422, "ERR_CARRIER_UNKNOWN_REGION"),
        (_carrier(code="SF Express"), 422, "ERR_VALIDATION"),
        (_carrier(capabilities=["teleport"]), 422, "ERR_VALIDATION"),
        (_carrier(services=[]), 422, "ERR_VALIDATION"),
        (_carrier(services=_carrier()["services"] * 2), 422, "ERR_VALIDATION"),
    ]
    for body, status, code in cases:
        response = client.post("/api/v1/carriers", json=body, headers=tenant.headers())
        assert (response.status_code, response.json()["code"]) == (status, code), body
    assert "zhaijisong" not in _codes(client, tenant)


def test_another_tenants_carrier_is_not_found(
    client: TestClient, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    client.post("/api/v1/carriers", json=_carrier(), headers=tenant.headers())
    other = client.get("/api/v1/carriers/zhaijisong", headers=other_tenant.headers())
    assert (other.status_code, other.json()["code"]) == (404, "ERR_CARRIER_NOT_FOUND")
    put = client.put("/api/v1/carriers/zhaijisong", json=_carrier(), headers=other_tenant.headers())
    assert put.status_code == 404


def test_sku_attributes_and_warehouse_location(client: TestClient, tenant: TenantKeys) -> None:
    attrs = {"needs": ["cold_chain", "fragile"], "weight_grams": 1500}
    put = client.put("/api/v1/stock/BEEF-1/attributes", json=attrs, headers=tenant.headers())
    assert put.status_code == 200
    read = client.get("/api/v1/stock/BEEF-1/attributes", headers=tenant.headers()).json()
    assert read == {"sku": "BEEF-1", **attrs}
    bad = client.put(
        "/api/v1/stock/BEEF-1/attributes", json={"needs": ["x"]}, headers=tenant.headers()
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "ERR_VALIDATION")
    wh = {"code": "sz", "name": "深圳仓", "province": "广东省", "city": "深圳市"}
    assert client.post("/api/v1/warehouses", json=wh, headers=tenant.headers()).status_code == 201
    moved = client.put(
        "/api/v1/warehouses/main/location",
        json={"province": "浙江省", "city": "杭州市"},
        headers=tenant.headers(),
    )
    assert (moved.status_code, moved.json()["province"]) == (200, "浙江省")
    listed = client.get("/api/v1/warehouses", headers=tenant.headers()).json()["items"]
    assert {(w["code"], w["province"]) for w in listed} == {("main", "浙江省"), ("sz", "广东省")}
    missing = client.put(
        "/api/v1/warehouses/nope/location", json={"province": "浙江省"}, headers=tenant.headers()
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "ERR_STOCK_UNKNOWN_WAREHOUSE")
