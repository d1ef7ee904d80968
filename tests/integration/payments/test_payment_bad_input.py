"""Wrong content types and oversized bodies reach the notify route and leave an inbox row."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from oms.core.clock import ManualClock
from oms.core.uow import Database
from tests.fixtures.gateways import alipay_notification
from tests.fixtures.gateways import wechatpay_notification as wechat
from tests.fixtures.tenants import TenantKeys
from tests.integration.payments.helpers import inbox, payments

LIMIT = 1024 * 1024


def test_an_alipay_notification_posted_as_json_is_recorded_and_answered_fail(
    client: TestClient, db: Database, configured: TenantKeys, order: dict[str, str]
) -> None:
    body = b'{"notify_id": "1", "trade_status": "TRADE_SUCCESS"}'
    answer = client.post(
        f"/api/v1/payments/alipay/notify/{configured.tenant_id}",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert (answer.status_code, answer.text) == (400, "fail")
    [row] = inbox(db, "gateway:alipay")
    assert (row.verification, row.error_code, row.body) == (
        "rejected",
        "ERR_PAYMENT_MALFORMED_NOTIFICATION",
        body,
    )


def test_a_wechatpay_notification_posted_as_text_is_recorded_and_answered_fail(
    client: TestClient, db: Database, configured: TenantKeys, clock: ManualClock
) -> None:
    headers = {
        "Content-Type": "text/plain",
        "Wechatpay-Timestamp": str(int(clock.now().timestamp())),
    }
    answer = client.post(
        f"/api/v1/payments/wechatpay/notify/{configured.tenant_id}",
        content=b"not a notification",
        headers=headers,
    )
    assert answer.status_code == 400 and answer.json()["code"] == "FAIL"
    [row] = inbox(db, "gateway:wechatpay")
    assert (row.verification, row.error_code) == ("rejected", "ERR_PAYMENT_MALFORMED_NOTIFICATION")


@pytest.mark.parametrize("name", ["alipay", "wechatpay"])
def test_an_oversized_notification_is_recorded_cut_to_the_limit_and_answered_413(
    client: TestClient,
    db: Database,
    configured: TenantKeys,
    order: dict[str, str],
    clock: ManualClock,
    name: str,
) -> None:
    if name == "alipay":
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        genuine = alipay_notification(order["order_no"])
        body = genuine + b"&padding=" + b"x" * LIMIT
    else:
        headers, genuine = wechat(order["order_no"], timestamp=int(clock.now().timestamp()))
        body = genuine[:-1] + b',"padding":"' + b"x" * LIMIT + b'"}'
    answer = client.post(
        f"/api/v1/payments/{name}/notify/{configured.tenant_id}", content=body, headers=headers
    )
    assert answer.status_code == 413
    if name == "alipay":
        assert answer.text == "fail"
    else:
        assert answer.json()["code"] == "FAIL"
        assert answer.json()["message"].startswith("ERR_PAYLOAD_TOO_LARGE")
    [row] = inbox(db, f"gateway:{name}")
    assert (row.verification, row.error_code) == ("rejected", "ERR_PAYLOAD_TOO_LARGE")
    assert row.body == body[:LIMIT] and row.message_id.startswith("rejected:")
    assert payments(client, configured, order["id"]) == []


def test_a_json_api_body_over_the_limit_is_still_refused_at_the_edge(
    client: TestClient, configured: TenantKeys
) -> None:
    response = client.put(
        "/api/v1/payments/gateways/alipay",
        content=b'{"app_id": "' + b"x" * LIMIT + b'"}',
        headers=configured.headers(**{"Content-Type": "application/json"}),
    )
    assert (response.status_code, response.json()["code"]) == (413, "ERR_PAYLOAD_TOO_LARGE")
