"""Confirmed payments and paid-out refunds reach a (local) QuickBooks Online as sales and refund
receipts, each booked once; a refusal opens a finance ticket with QuickBooks's message."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from oms.accounting.models import AccountingConnection
from oms.accounting.schemas import ConnectionIn
from oms.accounting.service import connect_sink
from oms.accounting.sinks.base import OutgoingDocument, SinkConnection
from oms.accounting.sinks.quickbooks import QuickBooksOnline
from oms.accounting.states import DocumentKind
from oms.cli import app as cli
from oms.core.clock import ManualClock
from oms.core.errors import AppError
from oms.core.uow import Database
from tests.fixtures.gateways import ORDER_TOTAL, FakeGateway
from tests.fixtures.quickbooks import FakeQuickBooks
from tests.fixtures.tenants import TenantKeys
from tests.integration.accounting.conftest import REALM, TOKEN
from tests.integration.refunds.conftest import (
    approve,
    channel_paid_order,
    gateway_paid_order,
    refund,
    request,
)

Jobs = Callable[..., int]


def oms(*args: str, token: str | None = None) -> Any:
    env = {"QBO_ACCESS_TOKEN": token} if token is not None else {}
    return CliRunner().invoke(cli, list(args), env=env)


def connect(tenant: TenantKeys, qbo: FakeQuickBooks, *extra: str, token: str = TOKEN) -> Any:
    base = ["accounting", "connect", "--tenant", tenant.tenant_id, "--base-url", qbo.url]
    result = oms(*base, "--realm", REALM, "--refund-account", "35", *extra, token=token)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def documents(tenant: TenantKeys, *extra: str) -> list[dict[str, Any]]:
    result = oms("accounting", "documents", "--tenant", tenant.tenant_id, *extra)
    assert result.exit_code == 0, result.output
    items: list[dict[str, Any]] = json.loads(result.output)["items"]
    return items


def tickets(client: TestClient, tenant: TenantKeys, order_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/tickets?order_id={order_id}", headers=tenant.headers())
    found: list[dict[str, Any]] = response.json()["items"]
    return [t for t in found if t["kind"] == "accounting_rejected"]


def test_a_confirmed_payment_is_booked_once_as_a_sales_receipt_keyed_by_the_document_id(
    db: Database,
    client: TestClient,
    configured: TenantKeys,
    gateway: FakeGateway,
    qbo: FakeQuickBooks,
    run_jobs: Jobs,
    cli_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    shown = connect(configured, qbo)
    assert (shown["company_id"], shown["has_token"]) == (REALM, True)
    assert TOKEN not in json.dumps(shown)
    with db.reader() as session:
        sealed = session.scalar(select(AccountingConnection.token_sealed))
    assert sealed is not None and sealed.startswith("v1:") and TOKEN not in sealed

    order = gateway_paid_order(client, configured, gateway, run_jobs)
    run_jobs()

    [receipt] = qbo.of("SalesReceipt")
    [document] = documents(configured)
    assert (document["kind"], document["status"]) == ("sales_receipt", "sent")
    assert (document["order_id"], document["amount"]) == (order["id"], ORDER_TOTAL)
    assert document["external_id"] == receipt["Id"]
    assert [r["query"]["requestid"] for r in qbo.requests] == [document["id"]]
    assert qbo.requests[0]["query"]["minorversion"] == "75"
    assert receipt["DocNumber"] == order["order_no"]
    assert receipt["TotalAmt"] == 730.0 and receipt["CurrencyRef"] == {"value": "CNY"}
    assert receipt["TxnDate"] == "2026-01-24"  # paid 13:00 in Shanghai
    assert document["reference"] in receipt["PrivateNote"]
    assert TOKEN not in capsys.readouterr().err  # the token is never logged


def test_a_paid_out_refund_is_booked_as_a_refund_receipt_from_the_configured_account(
    client: TestClient,
    configured: TenantKeys,
    gateway: FakeGateway,
    qbo: FakeQuickBooks,
    run_jobs: Jobs,
    cli_env: None,
) -> None:
    connect(configured, qbo)
    order = gateway_paid_order(client, configured, gateway, run_jobs)
    asked = request(client, configured, order_id=order["id"], whole_order=True).json()
    approve(client, configured, asked["id"])
    run_jobs()
    assert refund(client, configured, asked["id"])["status"] == "refunded"

    [receipt] = qbo.of("RefundReceipt")
    assert receipt["DepositToAccountRef"] == {"value": "35"}
    assert receipt["TotalAmt"] == 730.0
    kinds = {d["kind"]: d for d in documents(configured, "--status", "sent")}
    assert set(kinds) == {"sales_receipt", "refund_receipt"}
    assert kinds["refund_receipt"]["source_id"] == asked["id"]


def test_an_outage_is_retried_and_a_resend_never_books_a_second_receipt(
    client: TestClient,
    configured: TenantKeys,
    gateway: FakeGateway,
    qbo: FakeQuickBooks,
    run_jobs: Jobs,
    cli_env: None,
) -> None:
    connect(configured, qbo)
    qbo.outages = [503]
    gateway_paid_order(client, configured, gateway, run_jobs)
    run_jobs()
    [document] = documents(configured)
    assert document["status"] == "pending"  # the 503: the job retries later
    run_jobs(later=True)
    [document] = documents(configured)
    assert document["status"] == "sent"
    ids = [r["query"]["requestid"] for r in qbo.requests]
    assert ids == [document["id"], document["id"]]

    # The same document sent again (a worker that crashed after QuickBooks booked it).
    connection = SinkConnection(REALM, qbo.url, TOKEN, "1", None)
    again = OutgoingDocument(
        document["id"],
        DocumentKind.SALES_RECEIPT,
        document["order_no"],
        None,
        ORDER_TOTAL,
        "CNY",
        date.fromisoformat(document["txn_date"]),
    )
    booked = QuickBooksOnline().send(connection, again, timeout=5)
    assert booked.external_id == document["external_id"]
    assert len(qbo.of("SalesReceipt")) == 1

    refused = oms(
        "accounting", "resend", "--tenant", configured.tenant_id, "--document", document["id"]
    )
    assert refused.exit_code == 2 and "ERR_ACCOUNTING_INVALID_TRANSITION" in refused.output


def test_a_fault_opens_a_finance_ticket_with_the_message_and_a_resend_books_it_once(
    clock: ManualClock,
    client: TestClient,
    configured: TenantKeys,
    gateway: FakeGateway,
    qbo: FakeQuickBooks,
    run_jobs: Jobs,
    cli_env: None,
) -> None:
    connect(configured, qbo, "--item", "999")  # no such item in the company
    order = gateway_paid_order(client, configured, gateway, run_jobs)
    run_jobs()

    [document] = documents(configured, "--status", "rejected")
    assert "ValidationFault: Invalid Reference Id" in document["last_error"]
    [ticket] = tickets(client, configured, order["id"])
    assert ticket["assignee_role"] == "finance" and ticket["id"] == document["ticket_id"]
    assert ticket["details"]["message"] == document["last_error"]
    assert ticket["details"]["code"] == "2500"
    assert "Items element id 999 not found" in ticket["details"]["detail"]
    assert qbo.of("SalesReceipt") == []

    connect(configured, qbo, "--item", "1")  # finance fixes the mapping
    resent = oms(
        "accounting", "resend", "--tenant", configured.tenant_id, "--document", document["id"]
    )
    assert resent.exit_code == 0, resent.output
    clock.set(datetime.now(UTC) + timedelta(minutes=1))  # the CLI queued it on the wall clock
    run_jobs()
    [document] = documents(configured)
    assert document["status"] == "sent"
    assert len(qbo.of("SalesReceipt")) == 1
    assert {r["query"]["requestid"] for r in qbo.requests} == {document["id"]}


def test_a_revoked_token_is_a_refusal_with_the_authentication_fault(
    client: TestClient,
    configured: TenantKeys,
    gateway: FakeGateway,
    qbo: FakeQuickBooks,
    run_jobs: Jobs,
    cli_env: None,
) -> None:
    connect(configured, qbo, token="an-expired-token")
    order = gateway_paid_order(client, configured, gateway, run_jobs)
    run_jobs()
    [document] = documents(configured)
    assert document["status"] == "rejected"
    assert document["last_error"].startswith("AUTHENTICATION: message=AuthenticationFailed")
    assert len(tickets(client, configured, order["id"])) == 1
    assert qbo.requests[0]["auth"] == "Bearer an-expired-token"


def test_a_tenant_without_a_connection_sends_nothing(
    client: TestClient, tenant: TenantKeys, qbo: FakeQuickBooks, run_jobs: Jobs, cli_env: None
) -> None:
    channel_paid_order(client, tenant)
    run_jobs()
    assert documents(tenant) == []
    assert qbo.requests == []
    shown = oms("accounting", "show", "--tenant", tenant.tenant_id)
    assert shown.exit_code == 2 and "ERR_ACCOUNTING_NOT_CONNECTED" in shown.output


@pytest.mark.parametrize("realm", [None, "", "realm-abc", "12 34"])
def test_a_missing_or_malformed_realm_is_refused(
    tenant: TenantKeys, qbo: FakeQuickBooks, cli_env: None, realm: str | None
) -> None:
    args = ["accounting", "connect", "--tenant", tenant.tenant_id, "--base-url", qbo.url]
    result = oms(*args, *(["--realm", realm] if realm is not None else []), token=TOKEN)
    assert result.exit_code == 2
    assert "ERR_ACCOUNTING_INVALID_COMPANY" in result.output
    assert TOKEN not in result.output


def test_a_missing_token_an_unknown_tenant_or_document_is_refused(
    db: Database, tenant: TenantKeys, cli_env: None
) -> None:
    given = ConnectionIn(
        sink="quickbooks", company_id=REALM, token="  ", base_url="http://x", item_ref="1"
    )
    with pytest.raises(AppError) as missing:
        connect_sink(db, tenant_id=tenant.tenant_id, given=given)
    assert missing.value.code == "ERR_ACCOUNTING_TOKEN_REQUIRED"
    with pytest.raises(AppError) as unknown:
        connect_sink(db, tenant_id="no-such-tenant", given=given.model_copy(update={"token": "t"}))
    assert unknown.value.code == "ERR_NOT_FOUND"
    with pytest.raises(AppError) as sink:
        connect_sink(db, tenant_id=tenant.tenant_id, given=given.model_copy(update={"sink": "sap"}))
    assert sink.value.code == "ERR_ACCOUNTING_UNKNOWN_SINK"
    result = oms("accounting", "resend", "--tenant", tenant.tenant_id, "--document", "nope")
    assert result.exit_code == 2 and "ERR_ACCOUNTING_DOCUMENT_NOT_FOUND" in result.output
