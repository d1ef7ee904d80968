"""Reads the payment tests share: inbox rows, outbox topics, payments, tickets, timelines."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from oms.core.jobs import list_jobs
from oms.core.models import InboxMessage
from oms.core.uow import Database
from tests.fixtures.tenants import TenantKeys


def inbox(db: Database, source: str) -> list[InboxMessage]:
    with db.reader() as session:
        stmt = select(InboxMessage).where(InboxMessage.source == source)
        return list(session.scalars(stmt.order_by(InboxMessage.received_at, InboxMessage.id)))


def topics(db: Database, tenant: TenantKeys) -> list[str]:
    return [job.topic for job in list_jobs(db, tenant_id=tenant.tenant_id, status=None)]


def jobs_of(db: Database, tenant: TenantKeys, topic: str) -> list[Any]:
    return [j for j in list_jobs(db, tenant_id=tenant.tenant_id, status=None) if j.topic == topic]


def payments(client: TestClient, tenant: TenantKeys, order_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/payments?order_id={order_id}", headers=tenant.headers())
    assert response.status_code == 200
    found: list[dict[str, Any]] = response.json()["items"]
    return found


def order_status(client: TestClient, tenant: TenantKeys, order_id: str) -> str:
    status: str = client.get(f"/api/v1/orders/{order_id}", headers=tenant.headers()).json()[
        "status"
    ]
    return status


def pay_entries(client: TestClient, tenant: TenantKeys, order_id: str) -> list[dict[str, Any]]:
    timeline = client.get(f"/api/v1/orders/{order_id}/timeline", headers=tenant.headers()).json()[
        "items"
    ]
    return [entry for entry in timeline if entry["event"] == "pay"]


def tickets(client: TestClient, tenant: TenantKeys, order_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/tickets?order_id={order_id}", headers=tenant.headers())
    found: list[dict[str, Any]] = response.json()["items"]
    return found


def notify_alipay(client: TestClient, tenant_id: str, body: bytes) -> Any:
    return client.post(
        f"/api/v1/payments/alipay/notify/{tenant_id}",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )


def notify_wechatpay(
    client: TestClient, tenant_id: str, headers: dict[str, str], body: bytes
) -> Any:
    return client.post(
        f"/api/v1/payments/wechatpay/notify/{tenant_id}", content=body, headers=headers
    )
