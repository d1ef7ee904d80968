"""Verified payment notifications pay an order only after the gateway's own query agrees."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from oms.core.clock import ManualClock
from oms.core.uow import Database
from tests.fixtures.gateways import ORDER_TOTAL, FakeGateway, Trade, alipay_notification
from tests.fixtures.gateways import wechatpay_notification as wechat
from tests.fixtures.tenants import TenantKeys
from tests.integration.payments.helpers import (
    inbox,
    jobs_of,
    notify_alipay,
    notify_wechatpay,
    order_status,
    pay_entries,
    payments,
    tickets,
)

ALIPAY_TRADE = "2026012422001400000000000001"
WECHAT_TRADE = "4200000000202601240000000001"
PAID_AT = datetime(2026, 1, 24, 5, 0, 1, tzinfo=UTC)  # 13:00:01 in Beijing


def _alipay_trade(gateway: FakeGateway, order_no: str, **changes: object) -> None:
    values = {"trade_no": ALIPAY_TRADE, "amount": ORDER_TOTAL, "state": "TRADE_SUCCESS"}
    values |= changes
    gateway.trades[order_no] = Trade(paid_at="2026-01-24 13:00:01", **values)  # type: ignore[arg-type]


def _wechat_trade(gateway: FakeGateway, order_no: str, **changes: object) -> None:
    values = {"trade_no": WECHAT_TRADE, "amount": ORDER_TOTAL, "state": "SUCCESS"}
    values |= changes
    gateway.trades[order_no] = Trade(paid_at="2026-01-24T13:00:01+08:00", **values)  # type: ignore[arg-type]


def test_a_verified_alipay_notification_pays_the_order_once_the_query_agrees(
    client: TestClient,
    db: Database,
    configured: TenantKeys,
    order: dict[str, str],
    gateway: FakeGateway,
    run_jobs: Callable[..., int],
) -> None:
    _alipay_trade(gateway, order["order_no"])
    answer = notify_alipay(client, configured.tenant_id, alipay_notification(order["order_no"]))
    assert (answer.status_code, answer.text) == (200, "success")
    [payment] = payments(client, configured, order["id"])
    assert (payment["status"], payment["amount"], payment["currency"]) == (
        "received",
        ORDER_TOTAL,
        "CNY",
    )
    assert order_status(client, configured, order["id"]) == "pending_payment"
    run_jobs()
    assert order_status(client, configured, order["id"]) == "paid"
    assert payments(client, configured, order["id"])[0]["status"] == "confirmed"
    [applied] = pay_entries(client, configured, order["id"])
    assert (applied["outcome"], applied["source"]) == ("applied", "gateway:alipay")
    assert datetime.fromisoformat(applied["occurred_at"]) == PAID_AT
    assert gateway.requests == [
        {"kind": "alipay", "signed_ok": True, "out_trade_no": order["order_no"]}
    ]
    [row] = inbox(db, "gateway:alipay")
    assert (row.verification, row.message_id, row.outcome) == (
        "verified",
        "ntf-1",
        "payment_received",
    )


def test_a_verified_wechatpay_notification_pays_the_order_once_the_query_agrees(
    client: TestClient,
    db: Database,
    clock: ManualClock,
    configured: TenantKeys,
    order: dict[str, str],
    gateway: FakeGateway,
    run_jobs: Callable[..., int],
) -> None:
    _wechat_trade(gateway, order["order_no"])
    headers, body = wechat(order["order_no"], timestamp=int(clock.now().timestamp()))
    answer = notify_wechatpay(client, configured.tenant_id, headers, body)
    assert answer.status_code == 204
    run_jobs()
    assert order_status(client, configured, order["id"]) == "paid"
    [payment] = payments(client, configured, order["id"])
    assert (payment["status"], payment["amount"], payment["trade_no"]) == (
        "confirmed",
        ORDER_TOTAL,
        WECHAT_TRADE,
    )
    assert [r["signed_ok"] for r in gateway.requests] == [True]
    [applied] = pay_entries(client, configured, order["id"])
    assert applied["source"] == "gateway:wechatpay"
    assert inbox(db, "gateway:wechatpay")[0].message_id == "EV-2018022511223320873"


def test_ten_redeliveries_are_one_payment_one_transition_and_ten_timeline_entries(
    client: TestClient,
    db: Database,
    configured: TenantKeys,
    order: dict[str, str],
    gateway: FakeGateway,
    run_jobs: Callable[..., int],
) -> None:
    _alipay_trade(gateway, order["order_no"])
    body = alipay_notification(order["order_no"])
    for delivery in range(10):
        assert notify_alipay(client, configured.tenant_id, body).text == "success"
        if delivery == 4:
            run_jobs()  # half arrive before the confirmation, half after
    run_jobs()
    assert len(payments(client, configured, order["id"])) == 1
    entries = pay_entries(client, configured, order["id"])
    assert sorted(e["outcome"] for e in entries) == ["applied"] + ["duplicate"] * 9
    assert {e["source"] for e in entries} == {"gateway:alipay"}
    changes = jobs_of(db, configured, "order.status_changed")
    assert [c.payload["event"] for c in changes] == ["pay"]
    [row] = inbox(db, "gateway:alipay")
    assert row.deliveries == 10
    assert len(gateway.requests) == 1


@pytest.mark.parametrize(
    ("disagreement", "problem"),
    [
        ({"amount": ORDER_TOTAL - 1}, "the gateway says 72999"),
        ({"state": "TRADE_CLOSED"}, "the gateway says TRADE_CLOSED"),
        ({"trade_no": "2026012422001499999999999999"}, "the gateway says 2026"),
    ],
)
def test_when_the_query_disagrees_the_order_stays_unpaid_with_a_ticket_and_an_alert(
    client: TestClient,
    db: Database,
    configured: TenantKeys,
    order: dict[str, str],
    gateway: FakeGateway,
    run_jobs: Callable[..., int],
    disagreement: dict[str, object],
    problem: str,
) -> None:
    _alipay_trade(gateway, order["order_no"], **disagreement)
    notify_alipay(client, configured.tenant_id, alipay_notification(order["order_no"]))
    run_jobs()
    assert order_status(client, configured, order["id"]) == "pending_payment"
    [payment] = payments(client, configured, order["id"])
    assert payment["status"] == "mismatched" and problem in payment["problem"]
    [ticket] = tickets(client, configured, order["id"])
    assert (ticket["kind"], ticket["id"]) == ("payment_mismatch", payment["ticket_id"])
    alerts = jobs_of(db, configured, "alert.raised")
    assert [a.payload["type"] for a in alerts] == ["ticket.payment_mismatch"]


def test_a_notified_amount_other_than_the_order_total_is_not_a_payment(
    client: TestClient,
    configured: TenantKeys,
    order: dict[str, str],
    gateway: FakeGateway,
    run_jobs: Callable[..., int],
) -> None:
    _alipay_trade(gateway, order["order_no"], amount=100)
    body = alipay_notification(order["order_no"], total="1.00")
    notify_alipay(client, configured.tenant_id, body)
    run_jobs()
    [payment] = payments(client, configured, order["id"])
    assert (payment["amount"], payment["status"]) == (100, "mismatched")
    assert "the order is 73000" in payment["problem"]
    assert order_status(client, configured, order["id"]) == "pending_payment"


@pytest.mark.parametrize("kind", ["not_final", "slow"])
def test_a_trade_that_never_becomes_final_is_retried_then_ticketed(
    client: TestClient,
    db: Database,
    clock: ManualClock,
    configured: TenantKeys,
    order: dict[str, str],
    gateway: FakeGateway,
    run_jobs: Callable[..., int],
    kind: str,
) -> None:
    if kind == "slow":
        _wechat_trade(gateway, order["order_no"])
        gateway.delay_seconds = 1.0  # beyond the query timeout
    else:
        _wechat_trade(gateway, order["order_no"], state="USERPAYING")
    headers, body = wechat(order["order_no"], timestamp=int(clock.now().timestamp()))
    notify_wechatpay(client, configured.tenant_id, headers, body)
    run_jobs()
    [job] = jobs_of(db, configured, "payment.confirm")
    expected = "ERR_PAYMENT_NOT_FINAL" if kind == "not_final" else "ERR_PAYMENT_QUERY_FAILED"
    assert (job.status, job.attempts) == ("pending", 1)
    assert job.last_error is not None and job.last_error.startswith(_error_class(expected))
    assert tickets(client, configured, order["id"]) == []
    run_jobs(later=True)
    run_jobs(later=True)
    [job] = jobs_of(db, configured, "payment.confirm")
    assert (job.status, job.attempts) == ("done", 3)
    [payment] = payments(client, configured, order["id"])
    assert payment["status"] == "mismatched"
    assert [t["kind"] for t in tickets(client, configured, order["id"])] == ["payment_mismatch"]
    assert order_status(client, configured, order["id"]) == "pending_payment"


def _error_class(code: str) -> str:
    return {
        "ERR_PAYMENT_NOT_FINAL": "PaymentNotFinal",
        "ERR_PAYMENT_QUERY_FAILED": "GatewayQueryFailed",
    }[code]


def test_a_payment_for_a_cancelled_order_is_orphaned_and_the_order_stays_cancelled(
    client: TestClient,
    db: Database,
    configured: TenantKeys,
    order: dict[str, str],
    gateway: FakeGateway,
    run_jobs: Callable[..., int],
) -> None:
    cancel = client.post(
        f"/api/v1/orders/{order['id']}/events",
        json={"event": "cancel"},
        headers=configured.headers(),
    )
    assert cancel.status_code == 200
    _alipay_trade(gateway, order["order_no"])
    notify_alipay(client, configured.tenant_id, alipay_notification(order["order_no"]))
    run_jobs()
    assert order_status(client, configured, order["id"]) == "cancelled"
    [payment] = payments(client, configured, order["id"])
    assert payment["status"] == "orphaned"
    [ticket] = tickets(client, configured, order["id"])
    assert ticket["kind"] == "payment_orphaned"
    [orphaned] = jobs_of(db, configured, "payment.orphaned")
    assert orphaned.payload | {"payment_id": None} == {
        "payment_id": None,
        "order_id": order["id"],
        "order_no": order["order_no"],
        "gateway": "alipay",
        "trade_no": ALIPAY_TRADE,
        "amount": ORDER_TOTAL,
        "currency": "CNY",
        "order_status": "cancelled",
    }
    [refused] = pay_entries(client, configured, order["id"])
    assert (refused["outcome"], refused["error_code"]) == (
        "rejected",
        "ERR_ORDER_ILLEGAL_TRANSITION",
    )
