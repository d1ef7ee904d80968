"""Gateway configuration: admins set it over HTTP or the CLI; secrets never come back out."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from oms.cli import app as cli
from oms.config import get_settings
from oms.core.clock import ManualClock
from oms.core.uow import Database
from oms.payments.models import PaymentGateway
from tests.fixtures.gateways import (
    API_V3_KEY,
    FakeGateway,
    alipay_config,
    alipay_notification,
    gateway_key,
    merchant_key,
    wechatpay_config,
)
from tests.fixtures.gateways import wechatpay_notification as wechat
from tests.fixtures.tenants import TenantKeys
from tests.integration.payments.helpers import notify_alipay, notify_wechatpay

PRIVATE_PEM_BODY = merchant_key().private_pem.splitlines()[5]


def test_get_shows_the_configuration_without_its_secrets(
    client: TestClient, db: Database, configured: TenantKeys
) -> None:
    shown = client.get("/api/v1/payments/gateways/wechatpay", headers=configured.headers())
    assert shown.status_code == 200
    body = shown.json()
    assert (body["has_merchant_private_key"], body["has_api_v3_key"]) == (True, True)
    assert body["merchant_serial"] and body["platform_public_key_id"]
    assert PRIVATE_PEM_BODY not in shown.text and API_V3_KEY not in shown.text
    with db.reader() as session:
        stored = session.scalars(select(PaymentGateway)).all()
    for row in stored:
        text = str(row.sealed) + str(row.settings)
        assert PRIVATE_PEM_BODY not in text and API_V3_KEY not in text


def test_secrets_never_reach_the_logs(
    client: TestClient,
    tenant: TenantKeys,
    gateway: FakeGateway,
    clock: ManualClock,
    request: pytest.FixtureRequest,
) -> None:
    """Log lines go to the process's stderr, which pytest captures for the whole session."""
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if capture is None or not capture.is_globally_capturing():
        pytest.skip("needs pytest's output capture")
    client.put(
        "/api/v1/payments/gateways/alipay",
        json=alipay_config(gateway.base_url),
        headers=tenant.headers(),
    )
    client.put(
        "/api/v1/payments/gateways/wechatpay",
        json=wechatpay_config(gateway.base_url) | {"api_v3_key": "short"},
        headers=tenant.headers(),
    )
    client.put(
        "/api/v1/payments/gateways/wechatpay",
        json=wechatpay_config(gateway.base_url),
        headers=tenant.headers(),
    )
    notify_alipay(client, tenant.tenant_id, alipay_notification("1", app_id="x"))
    headers, body = wechat("1", timestamp=int(clock.now().timestamp()))
    notify_wechatpay(client, tenant.tenant_id, headers, body)
    out, err = capture.read_global_capture()
    print(out)  # keep the lines in the test report
    print(err, file=sys.stderr)
    assert "payments.notification_rejected" in out + err
    assert PRIVATE_PEM_BODY not in out + err and API_V3_KEY not in out + err


def test_only_admins_configure_and_bad_keys_are_refused(
    client: TestClient, tenant: TenantKeys, gateway: FakeGateway
) -> None:
    config = alipay_config(gateway.base_url)
    refused = client.put(
        "/api/v1/payments/gateways/alipay", json=config, headers=tenant.headers("ops")
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "ERR_AUTH_FORBIDDEN")
    bad = config | {
        "merchant_private_key": "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----"
    }
    answer = client.put("/api/v1/payments/gateways/alipay", json=bad, headers=tenant.headers())
    assert (answer.status_code, answer.json()["code"]) == (422, "ERR_PAYMENT_INVALID_CONFIG")
    swapped = config | {"gateway_public_key": merchant_key().private_pem}
    answer = client.put("/api/v1/payments/gateways/alipay", json=swapped, headers=tenant.headers())
    assert answer.json()["code"] == "ERR_PAYMENT_INVALID_CONFIG"
    missing = client.get("/api/v1/payments/gateways/alipay", headers=tenant.headers())
    assert (missing.status_code, missing.json()["code"]) == (
        404,
        "ERR_PAYMENT_GATEWAY_NOT_CONFIGURED",
    )


@pytest.fixture
def cli_env(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("OMS_DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_cli_configures_from_pem_files(
    client: TestClient, tenant: TenantKeys, tmp_path: Path, cli_env: None
) -> None:
    public, private = tmp_path / "alipay_public.pem", tmp_path / "app_private.pem"
    public.write_text(gateway_key().public_pem)
    private.write_text(merchant_key().private_pem)
    args = ["payments", "configure", "--tenant", tenant.tenant_id, "--gateway", "alipay"]
    args += ["--app-id", "2021000000000001", "--gateway-public-key", str(public)]
    args += ["--merchant-private-key", str(private), "--base-url", "http://127.0.0.1:9/gateway.do"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert '"has_merchant_private_key": true' in result.output
    assert PRIVATE_PEM_BODY not in result.output
    shown = client.get("/api/v1/payments/gateways/alipay", headers=tenant.headers()).json()
    assert shown["app_id"] == "2021000000000001"
    missing = CliRunner().invoke(cli, [*args[:6], "--app-id", "x"])
    assert missing.exit_code == 2 and "ERR_VALIDATION" in missing.output
    assert os.environ["OMS_DATABASE_URL"]
