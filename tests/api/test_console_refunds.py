"""The console's refunds: the review queue with approve / reject, refusals as flash messages,
roles, CSRF, and the SLA board (时效看板) with its colours and exposure."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from oms.core.clock import ManualClock
from oms.core.uow import Database
from tests.fixtures.orders import order_payload
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.users import ConsoleUser, console_user, log_in

QUEUE = "/console/refunds"


def _refund(client: TestClient, tenant: TenantKeys, amount: int = 500) -> dict[str, Any]:
    """A refund request of ``amount`` fen against a fresh order paid on its channel."""
    order = client.post("/api/v1/orders", json=order_payload(), headers=tenant.headers()).json()
    client.post(
        f"/api/v1/orders/{order['id']}/events", json={"event": "pay"}, headers=tenant.headers()
    )
    body = {"order_id": order["id"], "amount": amount, "reason": "quality"}
    created = client.post("/api/v1/refunds", json=body, headers=tenant.headers("service"))
    assert created.status_code == 201, created.text
    refund: dict[str, Any] = created.json()
    return refund


def _member(client: TestClient, db: Database, tenant: TenantKeys, role: str) -> ConsoleUser:
    """A console user in the ``default`` review group."""
    user = console_user(db, tenant.tenant_id, role)
    group = {"members": [f"user:{user.id}"]}
    put = client.put("/api/v1/refunds/groups/default", json=group, headers=tenant.headers())
    assert put.status_code == 200, put.text
    return user


def _status(client: TestClient, tenant: TenantKeys, refund_id: str) -> Any:
    return client.get(f"/api/v1/refunds/{refund_id}", headers=tenant.headers()).json()


def _post(client: TestClient, url: str, csrf: str, **fields: str) -> Any:
    return client.post(url, data={"csrf_token": csrf, **fields}, follow_redirects=False)


def _listed(client: TestClient) -> list[str]:
    return re.findall(r'<tr data-refund-id="([^"]+)"', client.get(QUEUE).text)


def test_a_group_member_sees_the_queue_oldest_first_and_approves(
    client: TestClient, db: Database, clock: ManualClock, tenant: TenantKeys
) -> None:
    first = _refund(client, tenant, 1234)
    clock.advance(timedelta(hours=3))
    second = _refund(client, tenant)
    csrf = log_in(client, _member(client, db, tenant, "ops"))
    html = client.get(QUEUE).text
    assert 'data-nav="refunds"' in html and "退款申请" in html and "同意退款" in html
    assert "¥12.34" in html and "3 小时" in html and "质量问题" in html
    assert _listed(client) == [first["id"], second["id"]]
    done = _post(client, f"{QUEUE}/{first['id']}/approve", csrf)
    assert done.headers["location"] == f"{QUEUE}?done=approved"
    assert "已同意退款。" in client.get(done.headers["location"]).text
    assert _status(client, tenant, first["id"])["status"] in ("approved", "refunding")
    assert _listed(client) == [second["id"]]


def test_rejecting_needs_a_note_and_records_it(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    refund = _refund(client, tenant)
    csrf = log_in(client, _member(client, db, tenant, "service"))
    blank = _post(client, f"{QUEUE}/{refund['id']}/reject", csrf, note="  ")
    assert blank.headers["location"] == f"{QUEUE}?error=ERR_VALIDATION"
    assert _status(client, tenant, refund["id"])["status"] == "requested"
    done = _post(client, f"{QUEUE}/{refund['id']}/reject", csrf, note="商品已使用")
    assert done.headers["location"] == f"{QUEUE}?done=rejected"
    found = _status(client, tenant, refund["id"])
    assert (found["status"], found["decision_note"]) == ("rejected", "商品已使用")
    again = _post(client, f"{QUEUE}/{refund['id']}/approve", csrf)
    assert again.headers["location"] == f"{QUEUE}?error=ERR_REFUND_ILLEGAL_TRANSITION"
    assert 'data-code="ERR_REFUND_ILLEGAL_TRANSITION"' in client.get(again.headers["location"]).text


def test_someone_outside_the_review_group_sees_nothing_and_is_refused_with_a_message(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    refund = _refund(client, tenant)
    csrf = log_in(client, console_user(db, tenant.tenant_id, "finance"))
    assert _listed(client) == []
    refused = _post(client, f"{QUEUE}/{refund['id']}/approve", csrf)
    assert refused.headers["location"] == f"{QUEUE}?error=ERR_REFUND_NOT_IN_GROUP"
    page = client.get(refused.headers["location"]).text
    assert "只有该退款审核组的成员" in page
    assert _status(client, tenant, refund["id"])["status"] == "requested"


def test_roles_without_refund_permissions_and_posts_without_csrf_are_refused(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    refund = _refund(client, tenant)
    csrf = log_in(client, console_user(db, tenant.tenant_id, "warehouse"))
    assert 'data-nav="refunds"' not in client.get("/console/orders").text
    assert client.get(QUEUE).status_code == 403
    assert client.get(f"{QUEUE}/sla").status_code == 403
    assert _post(client, f"{QUEUE}/{refund['id']}/approve", csrf).status_code == 403
    client.cookies.clear()
    log_in(client, console_user(db, tenant.tenant_id, "admin"))
    no_token = client.post(f"{QUEUE}/{refund['id']}/approve", follow_redirects=False)
    assert no_token.status_code == 403 and "ERR_AUTH_CSRF_FAILED" in no_token.text
    assert _status(client, tenant, refund["id"])["status"] == "requested"
    assert _listed(client) == [refund["id"]]  # an admin decides every group


def test_the_sla_board_colours_refunds_and_totals_their_exposure(
    client: TestClient, db: Database, clock: ManualClock, tenant: TenantKeys
) -> None:
    old = _refund(client, tenant)
    clock.advance(timedelta(hours=13))
    young = _refund(client, tenant)
    clock.advance(timedelta(hours=12))  # old: 25 h (orange, review late), young: 12 h (yellow)
    log_in(client, console_user(db, tenant.tenant_id, "ops"))
    api = client.get("/api/v1/refunds/sla", headers=tenant.headers()).json()
    html = client.get(f"{QUEUE}/sla").text
    assert "时效看板" in html and "标橙" in html and "标黄" in html and "预计赔付金额" in html
    rows = dict(re.findall(r'<tr data-refund-id="([^"]+)" data-colour="([^"]+)"', html))
    assert rows == {old["id"]: "orange", young["id"]: "yellow"}
    old_row = html.split(f'data-refund-id="{old["id"]}"', 1)[1].split("</tr>", 1)[0]
    assert "25 小时" in old_row  # hours, not "1 day", under two days
    item = next(i for i in api["items"] if i["refund_id"] == old["id"])
    assert (
        f"¥{item['incurred'] / 100:.2f}" in old_row and f"¥{item['at_risk'] / 100:.2f}" in old_row
    )
    assert f'data-total="incurred">¥{api["total_incurred"] / 100:.2f}<' in html
    assert f'data-total="at-risk">¥{api["total_at_risk"] / 100:.2f}<' in html
    assert api["total_incurred"] > 0
