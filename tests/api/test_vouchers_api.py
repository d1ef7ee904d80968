"""Vouchers and feedback over HTTP: permissions, formats, shapes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.fixtures.tenants import TenantKeys


def test_only_admin_and_finance_read_vouchers(client: TestClient, tenant: TenantKeys) -> None:
    assert client.get("/api/v1/vouchers/verify", headers=tenant.headers("ops")).status_code == 403
    empty = client.get("/api/v1/vouchers/verify", headers=tenant.headers("finance"))
    assert empty.status_code == 200
    assert (empty.json()["is_valid"], empty.json()["count"]) == (True, 0)


def test_an_unknown_export_format_is_refused(client: TestClient, tenant: TenantKeys) -> None:
    response = client.get("/api/v1/vouchers?format=xml", headers=tenant.headers())
    assert response.status_code == 422
    assert response.json()["code"] == "ERR_VOUCHER_UNKNOWN_FORMAT"


def test_an_empty_export_has_a_csv_header(client: TestClient, tenant: TenantKeys) -> None:
    response = client.get("/api/v1/vouchers?format=csv", headers=tenant.headers())
    assert response.status_code == 200 and response.text.startswith("seq,voucher_id,")


def test_the_feedback_summary_starts_empty(client: TestClient, tenant: TenantKeys) -> None:
    response = client.get("/api/v1/refunds/feedback/summary", headers=tenant.headers())
    assert response.status_code == 200
    assert response.json() == {"by_group": [], "by_agent": []}
