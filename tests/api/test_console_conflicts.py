"""The console and out-of-order events (issue 9): its actions happen now, conflicts are shown."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from oms.core.clock import ManualClock
from oms.core.uow import Database
from tests.fixtures.orders import order_payload
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.users import console_user, log_in

ORDERS = "/api/v1/orders"


def _paid_order(client: TestClient, tenant: TenantKeys, paid_at: str) -> dict[str, Any]:
    order: dict[str, Any] = client.post(
        ORDERS, json=order_payload(), headers=tenant.headers()
    ).json()
    pay = {"event": "pay", "source": "gateway:alipay", "occurred_at": paid_at}
    response = client.post(f"{ORDERS}/{order['id']}/events", json=pay, headers=tenant.headers())
    assert response.status_code == 200, response.text
    return order


def test_a_console_action_happens_now_even_after_a_gateway_time_in_the_future(
    client: TestClient, db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    # The gateway's clock runs an hour ahead: a person acting now must not be "stale".
    order = _paid_order(client, tenant, (clock.now() + timedelta(hours=1)).isoformat())
    csrf = log_in(client, console_user(db, tenant.tenant_id, "ops"))
    response = client.post(
        f"/console/orders/{order['id']}/events",
        data={"event": "hold", "reason_code": "fraud_review", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "outcome=applied" in response.headers["location"]
    timeline = client.get(f"{ORDERS}/{order['id']}/timeline", headers=tenant.headers()).json()[
        "items"
    ]
    hold = timeline[-1]
    assert (hold["event"], hold["outcome"], hold["source"]) == ("hold", "applied", "console")
    assert hold["occurred_at"] == hold["recorded_at"]


def test_the_provenance_panel_shows_a_conflict_with_the_later_event_and_its_ticket(
    client: TestClient, db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    paid_at = clock.now() + timedelta(minutes=1)
    order = _paid_order(client, tenant, paid_at.isoformat())
    erp = {
        "event": "cancel",
        "source": "erp",
        "occurred_at": (paid_at - timedelta(minutes=6)).isoformat(),
    }
    refused = client.post(
        f"{ORDERS}/{order['id']}/events", json=erp, headers=tenant.headers("integration")
    )
    assert refused.status_code == 409
    ticket_id = refused.json()["details"]["ticket_id"]

    csrf = log_in(client, console_user(db, tenant.tenant_id, "ops"))
    page = client.get(f"/console/orders/{order['id']}").text
    assert 'data-outcome="conflict"' in page and "ERR_ORDER_STALE_EVENT" in page
    assert "冲突：早于已生效的新变更" in page  # noqa: RUF001
    assert "未生效：保留来自 gateway:alipay 的较新事件「支付成功」所定状态。" in page  # noqa: RUF001
    assert f'href="/console/tickets/{ticket_id}"' in page
    ticket = client.get(f"/console/tickets/{ticket_id}").text
    assert "状态冲突" in ticket

    language = {"locale": "en", "csrf_token": csrf, "next": "/console/orders"}
    assert client.post("/console/language", data=language, follow_redirects=False).is_redirect
    english = client.get(f"/console/orders/{order['id']}").text
    assert "Conflict: older than a later change" in english
    assert (
        "Not applied: the later Payment confirmed from gateway:alipay keeps the status." in english
    )
