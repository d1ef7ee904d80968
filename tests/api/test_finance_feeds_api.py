"""Finance lists and GET /payments page by cursor; imports answer per line; references shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from oms.core.uow import Database
from oms.orders.service import place_order
from oms.payments.models import Payment
from tests.fixtures.finance import sample_movements, statement
from tests.fixtures.orders import order_create
from tests.fixtures.tenants import TenantKeys

URL = "/api/v1/finance"


def _import(client: TestClient, tenant: TenantKeys, data: bytes, fmt: str) -> Any:
    files = {"file": (f"statement.{fmt}", data, "application/octet-stream")}
    return client.post(f"{URL}/statements?format={fmt}", files=files, headers=tenant.headers())


def _csv(count: int) -> bytes:
    rows = [f"2026-11-{1 + i % 28:02d},{i + 1}.00,CNY,line {i},R{i}" for i in range(count)]
    return ("date,amount,currency,memo,reference\n" + "\n".join(rows) + "\n").encode()


def _walk(client: TestClient, tenant: TenantKeys, path: str, **params: Any) -> list[Any]:
    """Every page of a list: its items and has_more flags."""
    pages: list[Any] = []
    cursor = None
    while True:
        query = params | ({"cursor": cursor} if cursor else {})
        response = client.get(path, params=query, headers=tenant.headers())
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        cursor = page["next_cursor"]
        assert page["has_more"] is (cursor is not None)
        if cursor is None:
            return pages


def test_lines_page_beyond_the_old_silent_cap(client: TestClient, tenant: TenantKeys) -> None:
    assert _import(client, tenant, _csv(205), "csv").status_code == 201
    pages = _walk(client, tenant, f"{URL}/lines", limit=200)
    assert [len(p["items"]) for p in pages] == [200, 5]
    assert [p["has_more"] for p in pages] == [True, False]
    ids = [line["id"] for p in pages for line in p["items"]]
    assert len(set(ids)) == 205
    dates = [line["value_date"] for p in pages for line in p["items"]]
    assert dates == sorted(dates, reverse=True)


def test_default_page_is_50_and_a_limit_above_200_is_refused(
    client: TestClient, tenant: TenantKeys
) -> None:
    _import(client, tenant, _csv(60), "csv")
    first = client.get(f"{URL}/lines", headers=tenant.headers()).json()
    assert (len(first["items"]), first["has_more"]) == (50, True)
    too_many = client.get(f"{URL}/lines", params={"limit": 201}, headers=tenant.headers())
    assert too_many.status_code == 422


def test_statements_movements_and_matches_page_by_cursor(
    db: Database, client: TestClient, tenant: TenantKeys
) -> None:
    sample_movements(db, tenant.tenant_id)
    _import(client, tenant, statement("sample.mt940"), "mt940")
    _import(client, tenant, _csv(3), "csv")
    assert [len(p["items"]) for p in _walk(client, tenant, f"{URL}/statements", limit=1)] == [1, 1]
    movements = _walk(client, tenant, f"{URL}/movements", limit=2)
    assert [len(p["items"]) for p in movements] == [2, 1]
    matches = _walk(client, tenant, f"{URL}/matches", limit=1)
    assert len(matches) == 2 and all(len(p["items"]) == 1 for p in matches)
    scores = [p["items"][0]["score"] for p in matches]
    assert scores == sorted(scores, reverse=True)


def test_a_cursor_from_another_list_is_refused(client: TestClient, tenant: TenantKeys) -> None:
    _import(client, tenant, _csv(3), "csv")
    cursor = client.get(f"{URL}/lines", params={"limit": 1}, headers=tenant.headers()).json()[
        "next_cursor"
    ]
    response = client.get(f"{URL}/matches", params={"cursor": cursor}, headers=tenant.headers())
    assert response.status_code == 422 and response.json()["code"] == "ERR_VALIDATION"


def test_payments_page_by_cursor(db: Database, client: TestClient, tenant: TenantKeys) -> None:
    order = place_order(db, tenant.actor(), order_create()).order
    start = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    with db.uow() as uow:
        for i in range(5):
            at = start + timedelta(seconds=i // 2)  # ties on created_at: the id breaks them
            uow.session.add(
                Payment(
                    tenant_id=tenant.tenant_id,
                    id=f"pay-{i}",
                    order_id=order.id,
                    order_no=order.order_no,
                    gateway="alipay",
                    trade_no=f"20261124220014000000{i:02d}",
                    amount=100,
                    currency="CNY",
                    status="confirmed",
                    version=1,
                    notified_state="TRADE_SUCCESS",
                    inbox_message_id=f"in-{i}",
                    created_at=at,
                    updated_at=at,
                )
            )
        uow.commit()
    pages = _walk(client, tenant, "/api/v1/payments", limit=2)
    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    assert [p["id"] for page in pages for p in page["items"]] == [f"pay-{i}" for i in range(5)]
    only = _walk(client, tenant, "/api/v1/payments", order_id=order.id, limit=200)
    assert len(only[0]["items"]) == 5


def test_an_import_answers_each_lines_outcome_and_match(
    db: Database, client: TestClient, tenant: TenantKeys
) -> None:
    movements = sample_movements(db, tenant.tenant_id)
    body = _import(client, tenant, statement("sample.mt940"), "mt940").json()
    lines = body["lines"]
    assert [(x["line_no"], x["outcome"]) for x in lines] == [(5, "new"), (7, "new"), (9, "new")]
    assert (lines[0]["match_status"], lines[0]["movement_id"]) == ("confirmed", movements["a"])
    assert lines[0]["status"] == "matched"
    assert (lines[1]["match_status"], lines[1]["movement_id"]) == ("confirmed", movements["b"])
    assert (lines[2]["match_status"], lines[2]["status"]) == (None, "unmatched")
    assert body["lines_url"] == f"{URL}/statements/{body['statement_id']}/lines"
    stored = client.get(body["lines_url"], headers=tenant.headers()).json()
    assert [x["id"] for x in stored["items"]] == [x["line_id"] for x in lines]


def test_an_overlapping_import_marks_the_lines_seen_before(
    client: TestClient, tenant: TenantKeys
) -> None:
    first = _import(client, tenant, _csv(2), "csv").json()
    second = _import(client, tenant, _csv(3), "csv").json()
    outcomes = [(x["line_no"], x["outcome"]) for x in second["lines"]]
    assert outcomes == [(2, "duplicate"), (3, "duplicate"), (4, "new")]
    assert second["lines"][0]["statement_id"] == first["statement_id"]
    assert second["lines"][0]["line_id"] == first["lines"][0]["line_id"]
    again = _import(client, tenant, _csv(3), "csv").json()
    assert again["is_duplicate_file"] is True
    assert [x["outcome"] for x in again["lines"]] == ["duplicate"]  # the one it stored


def test_camt053_lines_show_entry_and_servicer_references(
    client: TestClient, tenant: TenantKeys
) -> None:
    body = _import(client, tenant, statement("sample.camt053.xml"), "camt053").json()
    lines = client.get(body["lines_url"], headers=tenant.headers()).json()["items"]
    assert [(x["entry_reference"], x["bank_reference"]) for x in lines] == [
        ("E20261125-0001", "CMBC2611250000001"),
        (None, "CMBC2611250000002"),
    ]


def test_mt940_lines_show_the_bank_reference(client: TestClient, tenant: TenantKeys) -> None:
    _import(client, tenant, statement("sample.mt940"), "mt940")
    lines = client.get(f"{URL}/lines", headers=tenant.headers()).json()["items"]
    assert sorted(x["bank_reference"] for x in lines) == [
        "B24112400001",
        "B24112400002",
        "B24112500003",
    ]


def test_a_camt053_lookalike_is_refused_and_nothing_is_written(
    db: Database, client: TestClient, tenant: TenantKeys
) -> None:
    sample_movements(db, tenant.tenant_id)
    data = statement("sample.camt053.xml").replace(b"urn:iso:std:iso:20022", b"urn:example")
    response = _import(client, tenant, data, "camt053")
    assert response.status_code == 422
    assert response.json()["code"] == "ERR_FINANCE_MALFORMED_STATEMENT"
    assert client.get(f"{URL}/statements", headers=tenant.headers()).json()["items"] == []
    assert client.get(f"{URL}/lines", headers=tenant.headers()).json()["items"] == []


def test_another_tenants_statement_lines_are_a_404(
    client: TestClient, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    body = _import(client, tenant, statement("sample.mt940"), "mt940").json()
    theirs = client.get(body["lines_url"], headers=other_tenant.headers())
    assert theirs.status_code == 404
    assert theirs.json()["code"] == "ERR_FINANCE_STATEMENT_NOT_FOUND"
