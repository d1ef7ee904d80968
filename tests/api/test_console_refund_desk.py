"""The refund queue explains itself when empty; the SLA board links orders and decides."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from oms.core.clock import ManualClock
from oms.core.uow import Database
from tests.api.test_console_refunds import QUEUE, _member, _post, _refund, _status
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.users import console_user, log_in


def _help(html: str) -> dict[str, str]:
    return dict(re.findall(r'<li data-help="([a-z-]+)"[^>]*>([^<]+)</li>', html))


def test_an_empty_queue_names_the_users_groups_and_counts_refunds_waiting_elsewhere(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    _refund(client, tenant)
    _refund(client, tenant)
    outsider = console_user(db, tenant.tenant_id, "service")
    group = {"members": [f"user:{outsider.id}"]}
    client.put("/api/v1/refunds/groups/returns", json=group, headers=tenant.headers())
    log_in(client, outsider)
    said = _help(client.get(QUEUE).text)
    assert said["groups"] == "你所在的审核组：returns。"  # noqa: RUF001
    assert said["elsewhere"] == "2 笔退款在其他审核组排队。"
    assert said["unstaffed"] == "审核组 default 没有成员：只有管理员能处理其退款。"  # noqa: RUF001


def test_a_user_in_no_group_is_told_so_in_english(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    _refund(client, tenant)
    _member(client, db, tenant, "ops")  # default has a member now, just not this user
    log_in(client, console_user(db, tenant.tenant_id, "service", locale="en"))
    said = _help(client.get(QUEUE).text)
    assert said["no-groups"].startswith("You are in no review group")
    assert said["elsewhere"] == "1 refund waits in another group's queue."
    assert "unstaffed" not in said


def test_the_sla_board_links_each_order_and_approves_or_rejects_in_place(
    client: TestClient, db: Database, clock: ManualClock, tenant: TenantKeys
) -> None:
    first, second = _refund(client, tenant), _refund(client, tenant)
    clock.advance(timedelta(hours=30))
    csrf = log_in(client, _member(client, db, tenant, "ops"))
    board = client.get(f"{QUEUE}/sla").text
    assert f'href="/console/orders/{first["order_id"]}" data-order-link>' in board
    assert "30 小时" in board
    assert "30 小时" in client.get(QUEUE).text
    fields = {"back": "/console/refunds/sla"}
    approved = _post(client, f"{QUEUE}/{first['id']}/approve", csrf, **fields)
    assert approved.headers["location"] == "/console/refunds/sla?done=approved"
    assert "已同意退款。" in client.get(approved.headers["location"]).text
    rejected = _post(client, f"{QUEUE}/{second['id']}/reject", csrf, note="已补发", **fields)
    assert rejected.headers["location"] == "/console/refunds/sla?done=rejected"
    assert _status(client, tenant, second["id"])["status"] == "rejected"
    assert _status(client, tenant, first["id"])["status"] in ("approved", "refunding")
    elsewhere = _post(client, f"{QUEUE}/{second['id']}/reject", csrf, note="x", back="//evil")
    assert elsewhere.headers["location"].startswith(f"{QUEUE}?error=")
