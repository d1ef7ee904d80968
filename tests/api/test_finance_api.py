"""Finance over HTTP: statement import, the review queue, manual matching, roles, errors."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from oms.core.uow import Database
from tests.fixtures.finance import ORDER_A, add_movement, statement
from tests.fixtures.tenants import TenantKeys

URL = "/api/v1/finance"


def _import(
    client: TestClient, tenant: TenantKeys, name: str, fmt: str, role: str = "finance"
) -> Any:
    files = {"file": (name, statement(name), "application/octet-stream")}
    return client.post(f"{URL}/statements?format={fmt}", files=files, headers=tenant.headers(role))


def _review_setup(db: Database, client: TestClient, tenant: TenantKeys) -> dict[str, Any]:
    """A line naming order A but paying 8.50 less than expected: it waits for review."""
    movement = add_movement(
        db, tenant.tenant_id, amount=129700, on=date(2026, 11, 24), order_no=ORDER_A
    )
    result = _import(client, tenant, "sample.mt940", "mt940").json()
    queue = client.get(f"{URL}/matches?status=review", headers=tenant.headers("finance")).json()[
        "items"
    ]
    return {"movement": movement, "result": result, "queue": queue}


def test_multipart_and_raw_imports_are_idempotent(client: TestClient, tenant: TenantKeys) -> None:
    first = _import(client, tenant, "sample.mt940", "mt940")
    assert first.status_code == 201, first.text
    assert first.json()["lines_added"] == 3
    raw = client.post(
        f"{URL}/statements?format=mt940",
        content=statement("sample.mt940"),
        headers=tenant.headers("finance", **{"Content-Type": "text/plain"}),
    )
    assert raw.status_code == 201
    assert raw.json()["is_duplicate_file"] is True and raw.json()["lines_added"] == 0
    lines = client.get(f"{URL}/lines", headers=tenant.headers("finance")).json()["items"]
    assert len(lines) == 3


def test_malformed_file_is_a_coded_problem_naming_the_line(
    client: TestClient, tenant: TenantKeys
) -> None:
    response = _import(client, tenant, "malformed.csv", "csv")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "ERR_FINANCE_MALFORMED_STATEMENT"
    assert body["details"]["line"] == 3
    assert client.get(f"{URL}/lines", headers=tenant.headers()).json()["items"] == []


def test_unknown_format_is_a_validation_error(client: TestClient, tenant: TenantKeys) -> None:
    response = _import(client, tenant, "sample.csv", "ofx")
    assert response.status_code == 422


def test_review_queue_confirm(db: Database, client: TestClient, tenant: TenantKeys) -> None:
    setup = _review_setup(db, client, tenant)
    assert setup["result"]["for_review"] == 1
    (item,) = setup["queue"]
    assert item["movement_id"] == setup["movement"] and item["reasons"]
    done = client.post(f"{URL}/matches/{item['id']}/confirm", headers=tenant.headers("finance"))
    assert done.status_code == 200
    assert done.json()[0]["status"] == "confirmed"
    again = client.post(f"{URL}/matches/{item['id']}/confirm", headers=tenant.headers("finance"))
    assert again.status_code == 409
    assert again.json()["code"] == "ERR_FINANCE_MATCH_CONFLICT"


def test_review_queue_reject_then_manual_match(
    db: Database, client: TestClient, tenant: TenantKeys
) -> None:
    setup = _review_setup(db, client, tenant)
    (item,) = setup["queue"]
    rejected = client.post(f"{URL}/matches/{item['id']}/reject", headers=tenant.headers("finance"))
    assert rejected.json()[0]["status"] == "rejected"
    rerun = client.post(f"{URL}/matching/run", headers=tenant.headers("finance")).json()
    assert rerun["for_review"] == 0  # a rejected pair is not proposed again
    manual = client.post(
        f"{URL}/lines/{item['line_id']}/match",
        json={"movement_id": setup["movement"], "note": "customer paid net of coupon"},
        headers=tenant.headers("finance"),
    )
    assert manual.status_code == 201, manual.text
    assert manual.json()["kind"] == "manual" and manual.json()["status"] == "confirmed"
    twice = client.post(
        f"{URL}/lines/{item['line_id']}/match",
        json={"movement_id": setup["movement"]},
        headers=tenant.headers("finance"),
    )
    assert twice.json()["code"] == "ERR_FINANCE_MATCH_CONFLICT"


def test_unknown_ids_are_404(
    client: TestClient, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    headers = tenant.headers("finance")
    assert client.post(f"{URL}/matches/nope/confirm", headers=headers).json()["code"] == (
        "ERR_FINANCE_MATCH_NOT_FOUND"
    )
    line = client.post(f"{URL}/lines/nope/match", json={"movement_id": "x"}, headers=headers)
    assert line.json()["code"] == "ERR_FINANCE_LINE_NOT_FOUND"
    _import(client, other_tenant, "sample.csv", "csv")
    theirs = client.get(f"{URL}/lines", headers=other_tenant.headers()).json()["items"][0]["id"]
    stolen = client.post(f"{URL}/lines/{theirs}/match", json={"movement_id": "x"}, headers=headers)
    assert stolen.status_code == 404


def test_movement_not_found(client: TestClient, tenant: TenantKeys) -> None:
    _import(client, tenant, "sample.csv", "csv")
    line = client.get(f"{URL}/lines", headers=tenant.headers()).json()["items"][0]["id"]
    response = client.post(
        f"{URL}/lines/{line}/match", json={"movement_id": "x"}, headers=tenant.headers()
    )
    assert response.json()["code"] == "ERR_FINANCE_MOVEMENT_NOT_FOUND"


def test_roles(client: TestClient, tenant: TenantKeys) -> None:
    for role in ("ops", "warehouse", "service", "integration"):
        assert _import(client, tenant, "sample.csv", "csv", role=role).status_code == 403
        assert client.get(f"{URL}/matches", headers=tenant.headers(role)).status_code == 403
    for role in ("finance", "admin"):
        assert client.get(f"{URL}/matches", headers=tenant.headers(role)).status_code == 200
    assert client.get(f"{URL}/matches").status_code == 401


def test_settings_roundtrip_and_validation(client: TestClient, tenant: TenantKeys) -> None:
    body = {"amount_tolerance": 100, "date_window_days": 5, "auto_confirm_score": 85}
    put = client.put(f"{URL}/settings", json=body, headers=tenant.headers("finance"))
    assert put.status_code == 200
    got = client.get(f"{URL}/settings", headers=tenant.headers("finance")).json()
    assert got["amount_tolerance"] == 100 and got["csv_layout"]["sign"] == "signed"
    bad = {"csv_layout": {"sign": "columns"}}
    refused = client.put(f"{URL}/settings", json=bad, headers=tenant.headers("finance"))
    assert refused.json()["code"] == "ERR_FINANCE_INVALID_SETTINGS"
