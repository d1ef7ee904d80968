"""``GET /finance/expected`` and the fields every match carries, over HTTP."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from oms.core.uow import Database
from tests.fixtures.finance import ORDER_A, add_movement, statement
from tests.fixtures.tenants import TenantKeys

URL = "/api/v1/finance"


def _get(client: TestClient, tenant: TenantKeys, path: str) -> Any:
    response = client.get(f"{URL}{path}", headers=tenant.headers("finance"))
    assert response.status_code == 200, response.text
    return response.json()


def _three(db: Database, tenant: TenantKeys) -> list[str]:
    on = date(2026, 11, 24)
    return [
        add_movement(
            db,
            tenant.tenant_id,
            amount=128850,
            on=on,
            order_no=ORDER_A,
            order_id="order-a",
            trade_no="2026112422001400000001",
            external_id="3912345678901234567",
            payer_name="王芳",
        ),
        add_movement(
            db,
            tenant.tenant_id,
            amount=2590,
            on=on,
            order_no=ORDER_A,
            order_id="order-a",
            kind="refund_sent",
            refund_no="rf-1",
            gateway_refund_no="50300000002026112400000000001",
        ),
        add_movement(db, tenant.tenant_id, amount=5000, on=date(2026, 11, 25), order_id="order-b"),
    ]


def test_expected_movements_are_listed_with_their_order_and_every_reference(
    db: Database, client: TestClient, tenant: TenantKeys
) -> None:
    ids = _three(db, tenant)
    page = _get(client, tenant, "/expected")
    assert [m["id"] for m in page["items"]] == ids and page["has_more"] is False
    first, refund = page["items"][0], page["items"][1]
    assert (first["order_id"], first["order_no"]) == ("order-a", ORDER_A)
    assert (first["trade_no"], first["external_id"]) == (
        "2026112422001400000001",
        "3912345678901234567",
    )
    assert (refund["refund_no"], refund["gateway_refund_no"]) == (
        "rf-1",
        "50300000002026112400000000001",
    )


def test_expected_movements_filter_by_status_order_and_kind(
    db: Database, client: TestClient, tenant: TenantKeys
) -> None:
    ids = _three(db, tenant)
    by_order = _get(client, tenant, "/expected?order_id=order-a")["items"]
    assert [m["id"] for m in by_order] == ids[:2]
    refunds = _get(client, tenant, "/expected?kind=refund_sent&order_id=order-a")["items"]
    assert [m["id"] for m in refunds] == [ids[1]]
    assert _get(client, tenant, "/expected?status=matched")["items"] == []
    bad = client.get(f"{URL}/expected?kind=gift", headers=tenant.headers("finance"))
    assert bad.status_code == 422


def test_expected_movements_page_with_cursors(
    db: Database, client: TestClient, tenant: TenantKeys
) -> None:
    ids = _three(db, tenant)
    seen: list[str] = []
    path = "/expected?limit=2"
    while True:
        page = _get(client, tenant, path)
        seen += [m["id"] for m in page["items"]]
        if not page["has_more"]:
            break
        path = f"/expected?limit=2&cursor={page['next_cursor']}"
    assert seen == ids
    forged = client.get(f"{URL}/expected?cursor=bm90LWEtY3Vyc29y", headers=tenant.headers())
    assert forged.status_code == 422 and forged.json()["code"] == "ERR_VALIDATION"


def test_another_tenants_movements_are_not_listed(
    db: Database, client: TestClient, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    _three(db, tenant)
    assert _get(client, other_tenant, "/expected")["items"] == []


def test_a_match_names_its_line_movements_and_orders_and_coded_reasons(
    db: Database, client: TestClient, tenant: TenantKeys
) -> None:
    movement = add_movement(
        db,
        tenant.tenant_id,
        amount=129700,
        on=date(2026, 11, 24),
        order_no=ORDER_A,
        order_id="order-a",
    )
    files = {"file": ("s.mt940", statement("sample.mt940"), "application/octet-stream")}
    client.post(f"{URL}/statements?format=mt940", files=files, headers=tenant.headers("finance"))
    (item,) = _get(client, tenant, "/matches?status=review")["items"]
    assert (item["movement_id"], item["order_id"], item["order_no"]) == (
        movement,
        "order-a",
        ORDER_A,
    )
    assert item["line_ids"] == [item["line_id"]] and item["movement_ids"] == [movement]
    assert item["order_ids"] == ["order-a"]
    assert (item["kind"], item["rank"], item["is_contested"]) == ("one_to_one", None, False)
    codes = [r["code"] for r in item["reasons"]]
    assert codes[0] == "reference_exact" and "amount_beyond_tolerance" in codes
    assert item["reasons"][0]["params"] == {"field": "order_no", "reference": ORDER_A}
    lines = _get(client, tenant, "/lines")["items"]
    assert item["line_id"] in {line["id"] for line in lines}


def test_merged_auto_confirmation_is_a_setting_on_by_default(
    client: TestClient, tenant: TenantKeys
) -> None:
    assert _get(client, tenant, "/settings")["auto_confirm_merged"] is True
    body = {**_get(client, tenant, "/settings"), "auto_confirm_merged": False}
    body.pop("tenant_id")
    put = client.put(f"{URL}/settings", json=body, headers=tenant.headers("admin"))
    assert put.status_code == 200, put.text
    assert _get(client, tenant, "/settings")["auto_confirm_merged"] is False
