"""Packing slips and pick lists print as PDF with the Chinese font embedded."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from oms.fulfilment import documents
from tests.fixtures.orders import post_order
from tests.fixtures.tenants import TenantKeys


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


def test_a_packing_slip_is_a_pdf_with_the_chinese_font(
    client: TestClient, tenant: TenantKeys
) -> None:
    order = post_order(client, tenant)
    slip = client.get(f"/api/v1/orders/{order['id']}/packing-slip", headers=tenant.headers())
    assert slip.status_code == 200
    assert slip.headers["content-type"] == "application/pdf"
    assert slip.content.startswith(b"%PDF-") and _pages(slip.content) == 1
    assert b"NotoSansCJK" in slip.content  # the embedded subset, so 西湖龙井 prints anywhere


def test_a_pick_list_covers_a_wave_and_another_tenants_order_is_not_found(
    client: TestClient, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    first, second = post_order(client, tenant), post_order(client, tenant)
    wave = client.get(
        f"/api/v1/pick-list?order_id={first['id']}&order_id={second['id']}",
        headers=tenant.headers(),
    )
    assert wave.status_code == 200 and wave.content.startswith(b"%PDF-")
    other = client.get(f"/api/v1/orders/{first['id']}/packing-slip", headers=other_tenant.headers())
    assert (other.status_code, other.json()["code"]) == (404, "ERR_ORDER_NOT_FOUND")
    empty = client.get("/api/v1/pick-list", headers=tenant.headers())
    assert (empty.status_code, empty.json()["code"]) == (422, "ERR_VALIDATION")


def test_without_the_chinese_font_documents_answer_503_with_a_stable_code(
    client: TestClient, tenant: TenantKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(documents, "FONT_PATHS", (Path("/nonexistent/NotoSansCJK.ttc"),))
    order = post_order(client, tenant)
    slip = client.get(f"/api/v1/orders/{order['id']}/packing-slip", headers=tenant.headers())
    assert (slip.status_code, slip.json()["code"]) == (503, "ERR_DOCUMENT_FONT_MISSING")
