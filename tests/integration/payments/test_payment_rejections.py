"""Notifications that do not verify are stored raw, answered as failures, and change nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from oms.core.clock import ManualClock
from oms.core.uow import Database
from tests.fixtures.gateways import alipay_notification, key_pair
from tests.fixtures.gateways import wechatpay_notification as wechat
from tests.fixtures.tenants import TenantKeys
from tests.integration.payments.helpers import (
    inbox,
    jobs_of,
    notify_alipay,
    notify_wechatpay,
    order_status,
    payments,
    topics,
)

FORGER = key_pair("forger")


def _alipay_cases(order_no: str) -> dict[str, tuple[bytes, str]]:
    return {
        "forged signature": (
            alipay_notification(order_no, key=FORGER),
            "ERR_PAYMENT_BAD_SIGNATURE",
        ),
        "tampered amount": (
            alipay_notification(order_no).replace(b"total_amount=730.00", b"total_amount=7.30"),
            "ERR_PAYMENT_BAD_SIGNATURE",
        ),
        "wrong app id": (
            alipay_notification(order_no, app_id="2021000000000999"),
            "ERR_PAYMENT_UNKNOWN_APP",
        ),
        "unknown order": (
            alipay_notification("999999999999999999"),
            "ERR_PAYMENT_ORDER_NOT_FOUND",
        ),
        "malformed form": (b"notify_id=1&%zz&&=x\xff", "ERR_PAYMENT_MALFORMED_NOTIFICATION"),
        "no signature": (b"notify_id=1&trade_status=TRADE_SUCCESS", "ERR_PAYMENT_BAD_SIGNATURE"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "forged signature",
        "tampered amount",
        "wrong app id",
        "unknown order",
        "malformed form",
        "no signature",
    ],
)
def test_a_bad_alipay_notification_is_recorded_rejected_and_answered_fail(
    client: TestClient,
    db: Database,
    configured: TenantKeys,
    order: dict[str, str],
    run_jobs: Callable[..., int],
    case: str,
) -> None:
    body, code = _alipay_cases(order["order_no"])[case]
    answer = notify_alipay(client, configured.tenant_id, body)
    assert answer.text == "fail" and answer.status_code >= 400
    [row] = inbox(db, "gateway:alipay")
    assert (row.verification, row.error_code, row.body) == ("rejected", code, body)
    assert row.message_id.startswith("rejected:") and row.tenant_id == configured.tenant_id
    run_jobs()
    assert payments(client, configured, order["id"]) == []
    assert order_status(client, configured, order["id"]) == "pending_payment"
    assert "payment.confirm" not in topics(db, configured)


def _wechat_case(case: str, order_no: str, now: int) -> tuple[dict[str, str], bytes]:
    if case == "stale timestamp":
        return wechat(order_no, timestamp=now - 301)
    if case == "future timestamp":
        return wechat(order_no, timestamp=now + 301)
    if case == "forged signature":
        return wechat(order_no, timestamp=now, key=FORGER)
    if case == "unknown serial":
        return wechat(order_no, timestamp=now, serial="PUB_KEY_ID_OTHER")
    if case == "undecryptable resource":
        return wechat(order_no, timestamp=now, api_v3_key="f" * 32)
    if case == "signature probe":
        headers, body = wechat(order_no, timestamp=now)
        return headers | {"Wechatpay-Signature": "WECHATPAY/SIGNTEST/abc"}, body
    headers, body = wechat(order_no, timestamp=now)  # missing headers
    return {"Content-Type": "application/json"}, body


@pytest.mark.parametrize(
    ("case", "code", "status"),
    [
        ("stale timestamp", "ERR_PAYMENT_STALE_TIMESTAMP", 401),
        ("future timestamp", "ERR_PAYMENT_STALE_TIMESTAMP", 401),
        ("forged signature", "ERR_PAYMENT_BAD_SIGNATURE", 401),
        ("signature probe", "ERR_PAYMENT_BAD_SIGNATURE", 401),
        ("unknown serial", "ERR_PAYMENT_UNKNOWN_SERIAL", 401),
        ("undecryptable resource", "ERR_PAYMENT_UNDECRYPTABLE", 400),
        ("missing headers", "ERR_PAYMENT_MALFORMED_NOTIFICATION", 400),
    ],
)
def test_a_bad_wechatpay_notification_is_recorded_rejected_and_answered_fail(
    client: TestClient,
    db: Database,
    clock: ManualClock,
    configured: TenantKeys,
    order: dict[str, str],
    run_jobs: Callable[..., int],
    case: str,
    code: str,
    status: int,
) -> None:
    headers, body = _wechat_case(case, order["order_no"], int(clock.now().timestamp()))
    answer = notify_wechatpay(client, configured.tenant_id, headers, body)
    assert answer.status_code == status
    assert answer.json()["code"] == "FAIL" and answer.json()["message"].startswith(code)
    [row] = inbox(db, "gateway:wechatpay")
    assert (row.verification, row.error_code) == ("rejected", code)
    run_jobs()
    assert payments(client, configured, order["id"]) == []
    assert order_status(client, configured, order["id"]) == "pending_payment"


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/v1/payments/alipay/notify/no-such-tenant", "ERR_PAYMENT_UNKNOWN_TENANT"),
        ("/api/v1/payments/paypal/notify/{tenant}", "ERR_PAYMENT_UNKNOWN_GATEWAY"),
    ],
)
def test_unknown_tenants_and_gateways_are_recorded_and_refused(
    client: TestClient,
    db: Database,
    configured: TenantKeys,
    order: dict[str, str],
    path: str,
    code: str,
) -> None:
    body = alipay_notification(order["order_no"])
    answer = client.post(path.format(tenant=configured.tenant_id), content=body)
    assert answer.status_code == 404
    source = "gateway:paypal" if "paypal" in path else "gateway:alipay"
    [row] = inbox(db, source)
    assert (row.verification, row.error_code, row.body) == ("rejected", code, body)


def test_an_unconfigured_gateway_refuses_notifications(
    client: TestClient, db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    headers, body = wechat("123", timestamp=int(clock.now().timestamp()))
    answer = notify_wechatpay(client, tenant.tenant_id, headers, body)
    assert (answer.status_code, answer.json()["code"]) == (404, "FAIL")
    assert inbox(db, "gateway:wechatpay")[0].error_code == "ERR_PAYMENT_GATEWAY_NOT_CONFIGURED"


def test_repeated_rejections_raise_one_alert(
    client: TestClient, db: Database, configured: TenantKeys, order: dict[str, str]
) -> None:
    forged = alipay_notification(order["order_no"], key=FORGER)
    for _ in range(4):
        notify_alipay(client, configured.tenant_id, forged)
    assert jobs_of(db, configured, "alert.raised") == []
    for _ in range(3):
        notify_alipay(client, configured.tenant_id, forged)
    [alert] = jobs_of(db, configured, "alert.raised")
    payload: dict[str, Any] = alert.payload
    assert (payload["type"], payload["count"], payload["last_error_code"]) == (
        "payment.notifications_rejected",
        5,
        "ERR_PAYMENT_BAD_SIGNATURE",
    )
    assert len(inbox(db, "gateway:alipay")) == 7


def test_a_verified_notification_that_is_no_payment_is_acknowledged_and_ignored(
    client: TestClient, db: Database, configured: TenantKeys, order: dict[str, str]
) -> None:
    body = alipay_notification(order["order_no"], state="TRADE_CLOSED")
    assert notify_alipay(client, configured.tenant_id, body).text == "success"
    [row] = inbox(db, "gateway:alipay")
    assert (row.verification, row.outcome) == ("verified", "ignored")
    assert payments(client, configured, order["id"]) == []
