"""The console's stock page (levels, ledger, movement form) and an order's stock holds."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from oms.core.uow import Database
from tests.fixtures.orders import order_payload
from tests.fixtures.tenants import STOCKED_UNITS, TenantKeys
from tests.fixtures.users import console_user, log_in

SKU = "TEA-LJ-250"
PAGE = f"/console/stock/{SKU}"


def _order(client: TestClient, tenant: TenantKeys) -> dict[str, Any]:
    response = client.post("/api/v1/orders", json=order_payload(), headers=tenant.headers())
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _ledger(client: TestClient, tenant: TenantKeys) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = client.get(
        f"/api/v1/stock/{SKU}/ledger", headers=tenant.headers()
    ).json()["items"]
    return entries


def _versions(html: str) -> list[str]:
    return re.findall(r'name="expected_version" value="([^"]+)"', html)


def _post_movement(client: TestClient, csrf: str, versions: list[str], **fields: str) -> Any:
    data: dict[str, Any] = {"csrf_token": csrf, "warehouse": "main", "kind": "inbound", "qty": "5"}
    data |= fields | {"expected_version": versions}
    return client.post(f"{PAGE}/movements", data=data, follow_redirects=False)


def _field(html: str, sku: str, field: str) -> int:
    block = html.split(f'<tbody data-sku="{sku}">', 1)[1]
    found = re.search(rf'data-field="{field}">(-?\d+)<', block)
    assert found, f"no {field} for {sku}"
    return int(found.group(1))


def test_the_stock_page_shows_levels_of_the_skus_searched_and_one_skus_ledger(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    _order(client, tenant)  # holds 2 TEA-LJ-250 and 1 CUP-GLS-300
    log_in(client, console_user(db, tenant.tenant_id, "service"))
    both = client.get("/console/stock", params={"sku": f"{SKU}\uff0cCUP-GLS-300  NOPE"}).text
    assert _field(both, SKU, "on_hand") == STOCKED_UNITS
    assert _field(both, SKU, "reserved") == 2
    assert _field(both, SKU, "available") == STOCKED_UNITS - 2
    assert _field(both, "CUP-GLS-300", "reserved") == 1
    assert _field(both, "NOPE", "on_hand") == 0 and "暂无库存记录" in both
    assert 'id="ledger"' not in both and "实物库存" in both and "可用库存" in both
    one = client.get(PAGE).text
    assert 'data-warehouse="main"' in one and "安全库存" in one
    kinds = re.findall(r'data-ledger-id="[^"]+" data-kind="([a-z]+)"', one)
    assert kinds == ["reserve", "inbound"]  # newest first
    assert "库存流水" in one and "预占" in one and "入库" in one and "+2" in one


def test_a_movement_posted_from_the_stock_page_is_a_new_ledger_row(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    user = console_user(db, tenant.tenant_id, "warehouse")
    csrf = log_in(client, user)
    page = client.get(PAGE).text
    assert 'id="movement"' in page and _versions(page) == ["main:2"]
    response = _post_movement(client, csrf, _versions(page), reason="到货")
    assert response.status_code == 303
    newest = _ledger(client, tenant)[0]
    assert response.headers["location"] == f"{PAGE}?recorded={newest['id']}"
    assert (newest["kind"], newest["delta_on_hand"], newest["reason"]) == ("inbound", 5, "到货")
    assert newest["actor"] == f"user:{user.id}"
    after = client.get(response.headers["location"]).text
    assert "库存变动已记录" in after and f'data-ledger-id="{newest["id"]}"' in after
    assert _field(after, SKU, "on_hand") == STOCKED_UNITS + 5


def test_a_role_without_stock_write_sees_no_form_and_is_refused_when_posting(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    csrf = log_in(client, console_user(db, tenant.tenant_id, "service"))
    page = client.get(PAGE).text
    assert 'id="movement"' not in page and 'data-nav="stock"' in page
    response = _post_movement(client, csrf, [])
    assert response.status_code == 403 and "ERR_AUTH_FORBIDDEN" in response.text
    assert len(_ledger(client, tenant)) == 1


def test_a_stale_form_is_a_version_mismatch_flash_and_posts_nothing(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    csrf = log_in(client, console_user(db, tenant.tenant_id, "warehouse"))
    stale = _versions(client.get(PAGE).text)
    _order(client, tenant)  # someone else moves the stock meanwhile
    response = _post_movement(client, csrf, stale)
    assert response.status_code == 303
    assert response.headers["location"] == f"{PAGE}?error=ERR_STOCK_VERSION_MISMATCH"
    page = client.get(response.headers["location"]).text
    assert 'data-code="ERR_STOCK_VERSION_MISMATCH"' in page and "库存已被他人变动" in page
    assert [e["kind"] for e in _ledger(client, tenant)] == ["reserve", "inbound"]
    assert _post_movement(client, csrf, _versions(page)).status_code == 303


def test_refused_movements_come_back_as_flash_messages(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    csrf = log_in(client, console_user(db, tenant.tenant_id, "ops"))
    too_many = _post_movement(client, csrf, [], kind="deduct", qty=str(STOCKED_UNITS + 1))
    assert too_many.headers["location"].endswith("?error=ERR_STOCK_INSUFFICIENT")
    assert "库存不足" in client.get(too_many.headers["location"]).text
    for bad in ({"qty": "abc"}, {"kind": "reserve"}, {"kind": "inbound", "qty": "-1"}):
        refused = _post_movement(client, csrf, [], **bad)
        assert refused.headers["location"].endswith("?error=ERR_VALIDATION"), bad
    assert len(_ledger(client, tenant)) == 1


def test_a_movement_post_without_the_csrf_token_is_refused(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    log_in(client, console_user(db, tenant.tenant_id, "warehouse"))
    response = _post_movement(client, "forged", [])
    assert response.status_code == 403 and "ERR_AUTH_CSRF_FAILED" in response.text


def test_the_order_page_lists_its_stock_holds_and_what_became_of_them(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    order = _order(client, tenant)
    csrf = log_in(client, console_user(db, tenant.tenant_id, "ops"))
    page = client.get(f"/console/orders/{order['id']}").text
    assert "库存预占" in page and page.count('data-status="active"') == 2
    assert "预占中" in page and f'href="/console/stock/{SKU}"' in page
    assert 'data-exception="' not in page
    client.post(
        f"/console/orders/{order['id']}/events",
        data={"event": "pay", "csrf_token": csrf},
        follow_redirects=False,
    )
    paid = client.get(f"/console/orders/{order['id']}").text
    assert paid.count('data-status="deducted"') == 2 and "已扣减" in paid


def test_the_stock_page_marks_untracked_skus(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    client.put(
        "/api/v1/stock/GIFT-100/tracking", json={"tracked": False}, headers=tenant.headers("ops")
    )
    log_in(client, console_user(db, tenant.tenant_id, "service"))
    page = client.get("/console/stock", params={"sku": f"GIFT-100 {SKU}"}).text
    gift = page.split('data-sku="GIFT-100"')[1].split("</tbody>")[0]
    tea = page.split(f'data-sku="{SKU}"')[1].split("</tbody>")[0]
    assert 'data-untracked="true"' in gift and "不计库存" in gift
    assert "data-untracked" not in tea


def test_the_order_page_marks_short_lines_and_a_missing_payment_deadline(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    lines = [{"sku": "NOT-IN-STOCK", "name": "缺货品", "qty": 2, "unit_price": 100}]
    body = order_payload(lines=lines, allow_shortage=True, cash_on_delivery=True)
    order = client.post("/api/v1/orders", json=body, headers=tenant.headers()).json()
    log_in(client, console_user(db, tenant.tenant_id, "service"))
    page = client.get(f"/console/orders/{order['id']}").text
    assert 'data-short="2"' in page and "缺货 2" in page
    assert 'data-exception="stock_shortage"' in page
