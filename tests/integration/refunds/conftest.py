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
from oms.orders.schemas import OrderEventIn
from oms.orders.service import apply_event, place_order
from oms.orders.states import OrderEvent
from oms.refunds.execution import execute_refund
from oms.refunds.schemas import DecisionIn, RefundIn
from oms.refunds.service import approve_refund, reject_refund, request_refund
from tests.fixtures.gateways import (
    ORDER_TOTAL,
    FakeGateway,
    Trade,
    alipay_notification,
    wechatpay_notification,
)
from tests.fixtures.jobs import app_worker
from tests.fixtures.orders import order_create, order_payload
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


def buyer_history(
    db: Database,
    clock: ManualClock,
    tenant: TenantKeys,
    *,
    days_ago: int,
    orders: int = 0,
    refunded: int = 0,
    rejected: int = 0,
) -> None:
    """Buyer b-1's first order ``days_ago``, then ``orders`` paid 10 days ago, some refunded
    (the first ``refunded``) and some refused (the next ``rejected``: disputes)."""
    now = clock.now()
    actor = tenant.actor()
    clock.set(now - timedelta(days=days_ago))
    paid_order(db, tenant)
    clock.set(now - timedelta(days=10))
    for index in range(orders):
        order_id = paid_order(db, tenant)
        if index < refunded + rejected:
            data = RefundIn(order_id=order_id, amount=100, reason="quality")
            rid = request_refund(db, actor, data).refund.id
            if index < refunded:
                approve_refund(db, actor, rid, DecisionIn())
                execute_refund(db, tenant_id=tenant.tenant_id, refund_id=rid, is_last_attempt=True)
            else:
                reject_refund(db, actor, rid, DecisionIn())
    clock.set(now)


def paid_order(db: Database, tenant: TenantKeys, **overrides: Any) -> str:
    actor = tenant.actor()
    order_id = place_order(db, actor, order_create(**overrides)).order.id
    apply_event(db, actor, order_id, OrderEventIn(event=OrderEvent.PAY))
    return order_id
