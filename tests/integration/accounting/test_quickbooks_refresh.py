"""QuickBooks access tokens expire after an hour: oms refreshes them with the rotating refresh
token (stored sealed, never logged), once more on a 401, and a refused refresh is a finance
ticket with Intuit's error."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from oms.accounting.models import AccountingConnection
from oms.accounting.tokens import opened
from oms.cli import app as cli
from oms.core.clock import ManualClock
from oms.core.uow import Database
from tests.fixtures.gateways import FakeGateway
from tests.fixtures.quickbooks import FakeQuickBooks
from tests.fixtures.tenants import TenantKeys
from tests.integration.accounting.conftest import REALM, TOKEN
from tests.integration.refunds.conftest import gateway_paid_order

Jobs = Callable[..., int]


def connect(tenant: TenantKeys, qbo: FakeQuickBooks, *, token: str) -> dict[str, Any]:
    env = {
        "QBO_ACCESS_TOKEN": token,
        "QBO_REFRESH_TOKEN": qbo.refresh_token,
        "QBO_CLIENT_SECRET": qbo.client[1],
    }
    args = ["accounting", "connect", "--tenant", tenant.tenant_id, "--base-url", qbo.url]
    args += ["--realm", REALM, "--set", f"client_id={qbo.client[0]}"]
    args += ["--set", f"token_url={qbo.url}/oauth2/v1/tokens/bearer"]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    shown: dict[str, Any] = json.loads(result.output)
    return shown


def documents(tenant: TenantKeys) -> list[dict[str, Any]]:
    result = CliRunner().invoke(cli, ["accounting", "documents", "--tenant", tenant.tenant_id])
    items: list[dict[str, Any]] = json.loads(result.output)["items"]
    return items


def test_a_401_refreshes_once_stores_the_rotated_refresh_token_and_books_once(
    db: Database,
    clock: ManualClock,
    client: TestClient,
    configured: TenantKeys,
    gateway: FakeGateway,
    qbo: FakeQuickBooks,
    run_jobs: Jobs,
    cli_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first_refresh = qbo.refresh_token
    shown = connect(configured, qbo, token="revoked-early")  # QuickBooks answers 401
    assert shown["has_refresh_token"] and qbo.client[1] not in json.dumps(shown)
    gateway_paid_order(client, configured, gateway, run_jobs)
    run_jobs()

    [document] = documents(configured)
    assert document["status"] == "sent" and len(qbo.of("SalesReceipt")) == 1
    assert [r["auth"] for r in qbo.requests] == ["Bearer revoked-early", f"Bearer {qbo.token}"]
    assert [r["refresh_token"] for r in qbo.refreshes] == [first_refresh]
    with db.reader() as session:
        row = session.scalar(select(AccountingConnection))
    assert row is not None and row.refresh_sealed and row.token_expires_at is not None
    for secret in (qbo.refresh_token, qbo.token, qbo.client[1]):
        assert secret not in row.refresh_sealed and secret not in row.token_sealed
    logged = capsys.readouterr().err
    assert all(
        s not in logged for s in (first_refresh, qbo.refresh_token, qbo.token, qbo.client[1])
    )

    # The rotated refresh token is the one kept, with the new access token's hour.
    stored = opened(row)
    assert (stored.token, stored.refresh_token) == (qbo.token, qbo.refresh_token)
    assert row.token_expires_at == clock.now() + timedelta(hours=1)


def test_a_token_about_to_expire_is_refreshed_before_the_send(
    db: Database,
    clock: ManualClock,
    client: TestClient,
    configured: TenantKeys,
    gateway: FakeGateway,
    qbo: FakeQuickBooks,
    run_jobs: Jobs,
    cli_env: None,
) -> None:
    connect(configured, qbo, token=TOKEN)
    with db.uow() as uow:  # 56 minutes later: the hour's token expires within the margin
        row = uow.session.scalar(select(AccountingConnection))
        assert row is not None
        row.token_expires_at = clock.now() + timedelta(minutes=4)
        uow.commit()
    gateway_paid_order(client, configured, gateway, run_jobs)
    run_jobs()
    assert len(qbo.refreshes) == 1
    assert [r["auth"] for r in qbo.requests] == [f"Bearer {qbo.token}"]
    assert documents(configured)[0]["status"] == "sent"


def test_a_refused_refresh_rejects_the_document_with_a_finance_ticket(
    client: TestClient,
    configured: TenantKeys,
    gateway: FakeGateway,
    qbo: FakeQuickBooks,
    run_jobs: Jobs,
    cli_env: None,
) -> None:
    connect(configured, qbo, token="revoked-early")
    qbo.refresh_token = "AB11-revoked-by-the-merchant"  # the stored one no longer works
    order = gateway_paid_order(client, configured, gateway, run_jobs)
    run_jobs()
    [document] = documents(configured)
    assert document["status"] == "rejected"
    message = "QuickBooks token refresh refused: invalid_grant (Incorrect Token type or clientID)"
    assert document["last_error"] == message
    response = client.get(f"/api/v1/tickets?order_id={order['id']}", headers=configured.headers())
    [ticket] = [t for t in response.json()["items"] if t["kind"] == "accounting_rejected"]
    assert ticket["assignee_role"] == "finance" and ticket["details"]["message"] == message
    assert qbo.of("SalesReceipt") == []
