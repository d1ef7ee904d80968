"""The console's finance page: statement import (银行流水), the review queue (待人工核对)
with confirm / reject, the manual match (匹配), roles and CSRF."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from oms.core.uow import Database
from tests.fixtures.finance import ORDER_A, add_movement, statement
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.users import console_user, log_in

PAGE = "/console/finance"


def _import(client: TestClient, csrf: str, name: str, fmt: str) -> Any:
    files = {"file": (name, statement(name), "application/octet-stream")}
    data = {"csrf_token": csrf, "format": fmt}
    return client.post(f"{PAGE}/statements", data=data, files=files, follow_redirects=False)


def _post(client: TestClient, url: str, csrf: str, **fields: str) -> Any:
    return client.post(url, data={"csrf_token": csrf, **fields}, follow_redirects=False)


def _review(client: TestClient) -> list[tuple[str, str, str]]:
    """(match id, line id, movement id) of each row of the review queue."""
    html = client.get(PAGE).text
    pattern = r'<tr data-match-id="([^"]+)" data-line-id="([^"]+)" data-movement-id="([^"]+)"'
    return re.findall(pattern, html)


def _short_paid(db: Database, tenant: TenantKeys) -> str:
    """A movement for order A that the sample statement pays 8.50 short: it waits for review."""
    return add_movement(
        db, tenant.tenant_id, amount=129700, on=date(2026, 11, 24), order_no=ORDER_A
    )


def _finance(client: TestClient, db: Database, tenant: TenantKeys) -> str:
    return log_in(client, console_user(db, tenant.tenant_id, "finance"))


def test_a_statement_is_imported_and_a_proposal_confirmed(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    movement = _short_paid(db, tenant)
    csrf = _finance(client, db, tenant)
    page = client.get(PAGE).text
    assert 'data-nav="finance"' in page and "银行流水" in page and 'id="import"' in page
    imported = _import(client, csrf, "sample.mt940", "mt940")
    assert imported.headers["location"].startswith(f"{PAGE}?done=imported&lines=")
    html = client.get(imported.headers["location"]).text
    assert "银行流水已导入。" in html and "待人工核对" in html and "¥1,288.50" in html
    ((match_id, _, movement_id),) = _review(client)
    assert movement_id == movement
    done = _post(client, f"{PAGE}/matches/{match_id}/confirm", csrf, acknowledged="1")
    assert done.headers["location"] == f"{PAGE}?done=confirmed"
    assert _review(client) == []
    again = _post(client, f"{PAGE}/matches/{match_id}/confirm", csrf)
    assert again.headers["location"] == f"{PAGE}?error=ERR_FINANCE_MATCH_CONFLICT"
    twice = _import(client, csrf, "sample.mt940", "mt940")
    assert twice.headers["location"] == f"{PAGE}?done=duplicate"


def test_a_proposal_is_rejected_then_the_line_matched_by_hand(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    _short_paid(db, tenant)
    csrf = _finance(client, db, tenant)
    _import(client, csrf, "sample.mt940", "mt940")
    ((match_id, line_id, movement_id),) = _review(client)
    rejected = _post(client, f"{PAGE}/matches/{match_id}/reject", csrf)
    assert rejected.headers["location"] == f"{PAGE}?done=rejected"
    html = client.get(PAGE).text
    assert f'<tr data-line-id="{line_id}">' in html
    assert f'<tr data-movement-id="{movement_id}">' in html
    manual = _post(
        client, f"{PAGE}/matches", csrf, line_id=line_id, movement_id=movement_id, note="券抵扣"
    )
    assert manual.headers["location"] == f"{PAGE}?done=matched"
    html = client.get(manual.headers["location"]).text
    assert "已人工匹配该流水。" in html and f'<tr data-line-id="{line_id}">' not in html
    lines = client.get("/api/v1/finance/lines?status=matched", headers=tenant.headers()).json()[
        "items"
    ]
    assert line_id in {line["id"] for line in lines}
    twice = _post(client, f"{PAGE}/matches", csrf, line_id=line_id, movement_id=movement_id)
    assert twice.headers["location"] == f"{PAGE}?error=ERR_FINANCE_MATCH_CONFLICT"
    unknown = _post(client, f"{PAGE}/matches", csrf, line_id="nope", movement_id=movement_id)
    assert unknown.headers["location"] == f"{PAGE}?error=ERR_FINANCE_LINE_NOT_FOUND"


def test_a_malformed_file_is_a_flash_message_and_imports_nothing(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    csrf = _finance(client, db, tenant)
    refused = _import(client, csrf, "malformed.csv", "csv")
    assert refused.headers["location"] == f"{PAGE}?error=ERR_FINANCE_MALFORMED_STATEMENT"
    assert "无法解析该银行流水文件" in client.get(refused.headers["location"]).text
    assert client.get("/api/v1/finance/lines", headers=tenant.headers()).json()["items"] == []


def test_roles_without_finance_permissions_and_posts_without_csrf_are_refused(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    csrf = log_in(client, console_user(db, tenant.tenant_id, "ops"))
    assert 'data-nav="finance"' not in client.get("/console/orders").text
    assert client.get(PAGE).status_code == 403
    assert _import(client, csrf, "sample.csv", "csv").status_code == 403
    assert _post(client, f"{PAGE}/matches", csrf, line_id="x", movement_id="y").status_code == 403
    client.cookies.clear()
    _finance(client, db, tenant)
    files = {"file": ("sample.csv", statement("sample.csv"), "text/csv")}
    no_token = client.post(
        f"{PAGE}/statements", data={"format": "csv"}, files=files, follow_redirects=False
    )
    assert no_token.status_code == 403 and "ERR_AUTH_CSRF_FAILED" in no_token.text
    assert client.get("/api/v1/finance/lines", headers=tenant.headers()).json()["items"] == []


def test_reasons_are_shown_in_the_readers_language(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    _short_paid(db, tenant)
    csrf = _finance(client, db, tenant)
    _import(client, csrf, "sample.mt940", "mt940")
    html = client.get(PAGE).text
    assert f"备注中精确找到订单号 {ORDER_A}" in html
    assert "金额相差 -850 分，超出容差 50 分" in html  # noqa: RUF001
    assert "found exactly" not in html and "amount differs" not in html


def test_reasons_are_shown_in_english_to_english_readers(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    _short_paid(db, tenant)
    csrf = log_in(client, console_user(db, tenant.tenant_id, "finance", locale="en"))
    _import(client, csrf, "sample.mt940", "mt940")
    html = client.get(PAGE).text
    assert f"order number {ORDER_A} found exactly in the memo" in html
    assert "amount differs by -850 fen, beyond the tolerance of 50" in html
    assert 'data-reason="reference_exact"' in html
