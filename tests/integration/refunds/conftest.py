"""Fixtures of the refund tests: a gateway on 127.0.0.1, paid orders, a job runner."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from oms.config import Settings
from oms.core.clock import ManualClock
from oms.core.uow import Database
from tests.fixtures.gateways import (
    ORDER_TOTAL,
    FakeGateway,
    Trade,
    alipay_notification,
    wechatpay_notification,
)
from tests.fixtures.jobs import app_worker
from tests.fixtures.orders import order_payload
from tests.fixtures.tenants import TenantKeys

MAX_ATTEMPTS = 3
ALIPAY_TRADE = "2026012422001400000000000001"
WECHAT_TRADE = "4200000000202601240000000001"


@pytest.fixture
def run_jobs(db: Database, clock: ManualClock) -> Callable[..., int]:
    """Run every due job (a few rounds); ``later`` first moves the clock past any backoff."""
    settings = Settings(env="test", job_max_attempts=MAX_ATTEMPTS, job_backoff_base_seconds=1)
    worker = app_worker(db, settings, payment_query_timeout=0.5, refund_timeout=2.0)

    def run(*, later: bool = False) -> int:
        if later:
            clock.advance(timedelta(seconds=30))
        total = 0
        for _ in range(6):
            processed = worker.run_once()
            total += processed
            if processed == 0:
                break
        return total

    return run


def create_order(client: TestClient, tenant: TenantKeys, **overrides: Any) -> dict[str, Any]:
    created = client.post(
        "/api/v1/orders", json=order_payload(**overrides), headers=tenant.headers()
    )
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


def gateway_paid_order(
    client: TestClient,
    tenant: TenantKeys,
    gateway: FakeGateway,
    run_jobs: Callable[..., int],
    *,
    via: str = "alipay",
) -> dict[str, Any]:
    """An order paid through a gateway: notified, confirmed by the query, status paid."""
    order = create_order(client, tenant)
    if via == "alipay":
        gateway.trades[order["order_no"]] = Trade(
            ALIPAY_TRADE, ORDER_TOTAL, "TRADE_SUCCESS", "2026-01-24 13:00:01"
        )
        client.post(
            f"/api/v1/payments/alipay/notify/{tenant.tenant_id}",
            content=alipay_notification(order["order_no"]),
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
    else:
        gateway.trades[order["order_no"]] = Trade(
            WECHAT_TRADE, ORDER_TOTAL, "SUCCESS", "2026-01-24T13:00:01+08:00"
        )
        stamp = int(gateway.clock.now().timestamp())
        headers, body = wechatpay_notification(order["order_no"], timestamp=stamp)
        client.post(
            f"/api/v1/payments/wechatpay/notify/{tenant.tenant_id}", content=body, headers=headers
        )
    run_jobs()
    assert order_status(client, tenant, order["id"]) == "paid"
    return order


def channel_paid_order(client: TestClient, tenant: TenantKeys, **overrides: Any) -> dict[str, Any]:
    """An order paid on its channel (no gateway payment in oms)."""
    order = create_order(client, tenant, **overrides)
    paid = client.post(
        f"/api/v1/orders/{order['id']}/events", json={"event": "pay"}, headers=tenant.headers()
    )
    assert paid.status_code == 200, paid.text
    return order


def order_status(client: TestClient, tenant: TenantKeys, order_id: str) -> str:
    status: str = client.get(f"/api/v1/orders/{order_id}", headers=tenant.headers()).json()[
        "status"
    ]
    return status


def request(client: TestClient, tenant: TenantKeys, role: str = "admin", **body: Any) -> Any:
    body.setdefault("reason", "quality")
    return client.post("/api/v1/refunds", json=body, headers=tenant.headers(role))


def refund(client: TestClient, tenant: TenantKeys, refund_id: str) -> dict[str, Any]:
    found: dict[str, Any] = client.get(
        f"/api/v1/refunds/{refund_id}", headers=tenant.headers()
    ).json()
    return found


def approve(client: TestClient, tenant: TenantKeys, refund_id: str, role: str = "admin") -> Any:
    return client.post(
        f"/api/v1/refunds/{refund_id}/approve", json={}, headers=tenant.headers(role)
    )
