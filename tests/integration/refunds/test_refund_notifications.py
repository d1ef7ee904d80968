"""Refunds confirmed by the gateways' refund notifications at the notify endpoint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from oms.core.uow import Database
from oms.vouchers.queries import latest_vouchers
from tests.fixtures.gateways import (
    FakeGateway,
    alipay_refund_notification,
    key_pair,
    wechatpay_refund_notification,
)
from tests.fixtures.tenants import TenantKeys
from tests.integration.payments.helpers import inbox, notify_alipay, payments, tickets
from tests.integration.refunds.conftest import (
    approve,
    gateway_paid_order,
    order_status,
    refund,
    request,
)


def _pending_wechat_refund(
    client: TestClient,
    configured: TenantKeys,
    gateway: FakeGateway,
    run_jobs: Callable[..., int],
    *,
    amount: int | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    order = gateway_paid_order(client, configured, gateway, run_jobs, via="wechatpay")
    body: dict[str, Any] = {"amount": amount} if amount else {"whole_order": True}
    asked: dict[str, Any] = request(client, configured, order_id=order["id"], **body).json()
    gateway.wechat_refund_status = "PROCESSING"
    approve(client, configured, asked["id"])
    run_jobs()
    assert refund(client, configured, asked["id"])["status"] == "refunding"
    return order, asked


def _notify_wechat(
    client: TestClient, tenant: TenantKeys, headers: dict[str, str], body: bytes
) -> Any:
    return client.post(
        f"/api/v1/payments/wechatpay/notify/{tenant.tenant_id}", content=body, headers=headers
    )


def _timeline(client: TestClient, tenant: TenantKeys, order_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.get(
        f"/api/v1/orders/{order_id}/timeline", headers=tenant.headers()
    ).json()["items"]
    return found


def test_a_processing_wechatpay_refund_is_completed_once_by_its_notification(
    client: TestClient,
    db: Database,
    configured: TenantKeys,
    gateway: FakeGateway,
    run_jobs: Callable[..., int],
) -> None:
    order, asked = _pending_wechat_refund(client, configured, gateway, run_jobs)
    stamp = int(gateway.clock.now().timestamp())
    headers, body = wechatpay_refund_notification(
        order["order_no"], asked["id"], timestamp=stamp, refund=asked["amount"]
    )
    answers = [_notify_wechat(client, configured, headers, body) for _ in range(3)]
    assert [a.status_code for a in answers] == [204, 204, 204]
    done = refund(client, configured, asked["id"])
    assert done["status"] == "refunded"
    assert order_status(client, configured, order["id"]) == "closed"
    rows = [r for r in inbox(db, "gateway:wechatpay") if r.topic == "REFUND.SUCCESS"]
    assert [(r.verification, r.deliveries, r.outcome) for r in rows] == [
        ("verified", 3, "refund_refunded")
    ]
    vouchers = [v for v in latest_vouchers(db, configured.tenant_id) if v.refund_id == asked["id"]]
    assert len(vouchers) == 1
    events = [(e["event"], e["outcome"]) for e in _timeline(client, configured, order["id"])]
    assert events.count(("refund_refunded", "applied")) == 1
    assert events.count(("refund_notified", "duplicate")) == 2
    # The job's later retry finds the refund settled: nothing is sent again.
    sent = len(gateway.refund_requests)
    run_jobs(later=True)
    assert len(gateway.refund_requests) == sent
    assert refund(client, configured, asked["id"])["status"] == "refunded"


def test_a_forged_refund_notification_is_rejected_and_recorded(
    client: TestClient,
    db: Database,
    configured: TenantKeys,
    gateway: FakeGateway,
    run_jobs: Callable[..., int],
) -> None:
    order, asked = _pending_wechat_refund(client, configured, gateway, run_jobs)
    stamp = int(gateway.clock.now().timestamp())
    headers, body = wechatpay_refund_notification(
        order["order_no"], asked["id"], timestamp=stamp, refund=asked["amount"], key=key_pair("x")
    )
    answer = _notify_wechat(client, configured, headers, body)
    assert answer.status_code == 401, answer.text
    assert answer.json()["code"] == "FAIL"
    rejected = [r for r in inbox(db, "gateway:wechatpay") if r.verification == "rejected"]
    assert [r.error_code for r in rejected] == ["ERR_PAYMENT_BAD_SIGNATURE"]
    assert refund(client, configured, asked["id"])["status"] == "refunding"


def test_an_amount_mismatch_changes_nothing_and_opens_a_ticket(
    client: TestClient,
    db: Database,
    configured: TenantKeys,
    gateway: FakeGateway,
    run_jobs: Callable[..., int],
) -> None:
    order, asked = _pending_wechat_refund(client, configured, gateway, run_jobs, amount=1000)
    stamp = int(gateway.clock.now().timestamp())
    headers, body = wechatpay_refund_notification(
        order["order_no"], asked["id"], timestamp=stamp, refund=999
    )
    assert _notify_wechat(client, configured, headers, body).status_code == 204
    assert refund(client, configured, asked["id"])["status"] == "refunding"
    [ticket] = tickets(client, configured, order["id"])
    assert ticket["kind"] == "refund_mismatch"
    rows = [r for r in inbox(db, "gateway:wechatpay") if r.topic == "REFUND.SUCCESS"]
    assert [r.outcome for r in rows] == ["refund_mismatch"]
    assert not [v for v in latest_vouchers(db, configured.tenant_id) if v.refund_id == asked["id"]]


def test_an_abnormal_refund_notification_fails_the_refund(
    client: TestClient,
    configured: TenantKeys,
    gateway: FakeGateway,
    run_jobs: Callable[..., int],
) -> None:
    order, asked = _pending_wechat_refund(client, configured, gateway, run_jobs, amount=500)
    stamp = int(gateway.clock.now().timestamp())
    headers, body = wechatpay_refund_notification(
        order["order_no"], asked["id"], timestamp=stamp, refund=500, event_type="REFUND.ABNORMAL"
    )
    assert _notify_wechat(client, configured, headers, body).status_code == 204
    failed = refund(client, configured, asked["id"])
    assert failed["status"] == "failed" and "ABNORMAL" in failed["last_error"]
    assert order_status(client, configured, order["id"]) == "paid"


def test_an_alipay_partial_refund_notification_completes_the_refund_not_a_payment(
    client: TestClient,
    db: Database,
    configured: TenantKeys,
    gateway: FakeGateway,
    run_jobs: Callable[..., int],
) -> None:
    order = gateway_paid_order(client, configured, gateway, run_jobs)
    asked = request(client, configured, order_id=order["id"], amount=1000).json()
    gateway.fail_refunds = 1  # the first call fails: the refund waits in refunding
    approve(client, configured, asked["id"])
    run_jobs()
    assert refund(client, configured, asked["id"])["status"] == "refunding"
    body = alipay_refund_notification(order["order_no"], asked["id"], refund_fee="10.00")
    for _ in range(2):
        answer = notify_alipay(client, configured.tenant_id, body)
        assert (answer.status_code, answer.text) == (200, "success")
    assert refund(client, configured, asked["id"])["status"] == "refunded"
    assert order_status(client, configured, order["id"]) == "paid"
    assert len(payments(client, configured, order["id"])) == 1
    rows = [r for r in inbox(db, "gateway:alipay") if r.message_id == "ntf-refund-1"]
    assert [(r.deliveries, r.outcome) for r in rows] == [(2, "refund_refunded")]
    vouchers = [v for v in latest_vouchers(db, configured.tenant_id) if v.refund_id == asked["id"]]
    assert len(vouchers) == 1
