"""Gateway fields at their edges: odd digits, huge numbers, calendar extremes, foreign sellers.

Each reaches the real notify route; a refusal is recorded in the inbox and answered the way the
gateway expects a failure (Alipay: ``fail``; WeChat Pay: 4xx ``{"code": "FAIL"}``), never 500.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from oms.cli import app as cli
from oms.config import get_settings
from oms.core.clock import ManualClock
from oms.core.uow import Database
from tests.fixtures.gateways import (
    SELLER_ID,
    FakeGateway,
    alipay_config,
    alipay_notification,
    gateway_key,
    merchant_key,
)
from tests.fixtures.gateways import wechatpay_notification as wechat
from tests.fixtures.server import live_server
from tests.fixtures.tenants import TenantKeys
from tests.integration.payments.helpers import (
    inbox,
    notify_alipay,
    notify_wechatpay,
    payments,
    topics,
)

MALFORMED = "ERR_PAYMENT_MALFORMED_NOTIFICATION"


def _refused_wechat(answer: Any, db: Database, code: str = MALFORMED) -> None:
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "FAIL" and answer.json()["message"].startswith(code)
    [row] = inbox(db, "gateway:wechatpay")
    assert (row.verification, row.error_code) == ("rejected", code)


# Header values travel as bytes and are read as Latin-1: b"\xb2" arrives as "²", which
# str.isdigit() accepts and int() refuses; "¹²³" likewise.
@pytest.mark.parametrize(
    "stamp", [b"\xb2", b"\xb9\xb2\xb3", b"1" * 400, b"-1", b"+1769230800", b"1.5"]
)
def test_a_wechatpay_timestamp_that_is_not_ascii_seconds_is_malformed_and_recorded(
    client: TestClient,
    db: Database,
    clock: ManualClock,
    configured: TenantKeys,
    order: dict[str, str],
    stamp: bytes,
) -> None:
    headers, body = wechat(order["order_no"], timestamp=int(clock.now().timestamp()))
    sent: dict[str, str | bytes] = {**headers, "Wechatpay-Timestamp": stamp}
    # A real server: the test client re-encodes header values, uvicorn passes the bytes on.
    with live_server(db) as base_url:
        path = f"/api/v1/payments/wechatpay/notify/{configured.tenant_id}"
        answer = httpx.post(base_url + path, content=body, headers=sent, timeout=10)
    _refused_wechat(answer, db)
    assert payments(client, configured, order["id"]) == []


@pytest.mark.parametrize("total", [10**30, 2**63, 10**12 + 1])
def test_a_wechatpay_amount_no_bigint_holds_is_malformed_and_recorded(
    client: TestClient,
    db: Database,
    clock: ManualClock,
    configured: TenantKeys,
    order: dict[str, str],
    total: int,
) -> None:
    headers, body = wechat(order["order_no"], timestamp=int(clock.now().timestamp()), total=total)
    _refused_wechat(notify_wechatpay(client, configured.tenant_id, headers, body), db)
    assert payments(client, configured, order["id"]) == []


def test_a_wechatpay_success_time_at_the_calendar_edge_is_kept_out_not_a_500(
    client: TestClient,
    db: Database,
    clock: ManualClock,
    configured: TenantKeys,
    order: dict[str, str],
) -> None:
    headers, body = wechat(
        order["order_no"],
        timestamp=int(clock.now().timestamp()),
        success_time="0001-01-01T00:00:00+14:00",
    )
    answer = notify_wechatpay(client, configured.tenant_id, headers, body)
    assert answer.status_code == 204, answer.text
    [payment] = payments(client, configured, order["id"])
    assert payment["gateway_paid_at"] is None


@pytest.mark.parametrize("total", ["1e3", "٣", "7.3e2", "9" * 400, "-730.00", "730.001", "0x2da"])
def test_an_alipay_amount_that_is_not_plain_yuan_is_malformed_and_recorded(
    client: TestClient,
    db: Database,
    configured: TenantKeys,
    order: dict[str, str],
    run_jobs: Callable[..., int],
    total: str,
) -> None:
    body = alipay_notification(order["order_no"], total=total)
    answer = notify_alipay(client, configured.tenant_id, body)
    assert (answer.status_code, answer.text) == (400, "fail")
    [row] = inbox(db, "gateway:alipay")
    assert (row.verification, row.error_code, row.body) == ("rejected", MALFORMED, body)
    run_jobs()
    assert payments(client, configured, order["id"]) == []


def test_an_alipay_amount_over_the_bound_is_malformed(
    client: TestClient, db: Database, configured: TenantKeys, order: dict[str, str]
) -> None:
    body = alipay_notification(order["order_no"], total="10000000000.01")
    assert notify_alipay(client, configured.tenant_id, body).text == "fail"
    assert inbox(db, "gateway:alipay")[0].error_code == MALFORMED


def test_an_alipay_payment_time_at_the_calendar_edge_is_kept_out_not_a_500(
    client: TestClient, db: Database, configured: TenantKeys, order: dict[str, str]
) -> None:
    body = alipay_notification(order["order_no"], gmt_payment="0001-01-01 00:00:00")
    answer = notify_alipay(client, configured.tenant_id, body)
    assert (answer.status_code, answer.text) == (200, "success")
    [payment] = payments(client, configured, order["id"])
    assert payment["gateway_paid_at"] is None


@pytest.fixture
def with_seller(client: TestClient, configured: TenantKeys, gateway: FakeGateway) -> TenantKeys:
    config = alipay_config(gateway.base_url) | {"seller_id": SELLER_ID}
    response = client.put(
        "/api/v1/payments/gateways/alipay", json=config, headers=configured.headers()
    )
    assert response.status_code == 200, response.text
    assert response.json()["seller_id"] == SELLER_ID
    return configured


@pytest.mark.parametrize("seller_id", ["2088999999999999", None])
def test_an_alipay_notification_for_another_seller_is_refused_and_recorded(
    client: TestClient,
    db: Database,
    with_seller: TenantKeys,
    order: dict[str, str],
    run_jobs: Callable[..., int],
    seller_id: str | None,
) -> None:
    body = alipay_notification(order["order_no"], seller_id=seller_id)
    answer = notify_alipay(client, with_seller.tenant_id, body)
    assert (answer.status_code, answer.text) == (403, "fail")
    [row] = inbox(db, "gateway:alipay")
    assert (row.verification, row.error_code) == ("rejected", "ERR_PAYMENT_UNKNOWN_SELLER")
    assert row.message_id.startswith("rejected:")
    run_jobs()
    assert payments(client, with_seller, order["id"]) == []
    assert "payment.confirm" not in topics(db, with_seller)


def test_an_alipay_notification_for_the_configured_seller_is_taken(
    client: TestClient, with_seller: TenantKeys, order: dict[str, str]
) -> None:
    answer = notify_alipay(client, with_seller.tenant_id, alipay_notification(order["order_no"]))
    assert (answer.status_code, answer.text) == (200, "success")
    assert len(payments(client, with_seller, order["id"])) == 1


def test_a_seller_id_that_is_no_alipay_account_is_refused(
    client: TestClient, configured: TenantKeys, gateway: FakeGateway
) -> None:
    config = alipay_config(gateway.base_url) | {"seller_id": "seller-1"}
    response = client.put(
        "/api/v1/payments/gateways/alipay", json=config, headers=configured.headers()
    )
    assert response.status_code == 422 and response.json()["code"] == "ERR_VALIDATION"


def test_the_cli_sets_the_alipay_seller_id(
    client: TestClient,
    tenant: TenantKeys,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    db: Database,
) -> None:
    monkeypatch.setenv("OMS_DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    public, private = tmp_path / "alipay_public.pem", tmp_path / "app_private.pem"
    public.write_text(gateway_key().public_pem)
    private.write_text(merchant_key().private_pem)
    args = ["payments", "configure", "--tenant", tenant.tenant_id, "--gateway", "alipay"]
    args += ["--app-id", "2021000000000001", "--gateway-public-key", str(public)]
    args += ["--merchant-private-key", str(private), "--seller-id", SELLER_ID]
    try:
        result = CliRunner().invoke(cli, args)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    shown = client.get("/api/v1/payments/gateways/alipay", headers=tenant.headers()).json()
    assert shown["seller_id"] == SELLER_ID
