"""Confirmed payments and paid-out refunds reach a (local) Kingdee Cloud Galaxy and Yonyou U8 as
balanced vouchers, each created once; a refusal opens a finance ticket with the system's
message, and a resend after a fix (or after a timeout) never creates a second voucher."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from oms.accounting.models import AccountingDocument
from oms.accounting.service import send_document
from oms.accounting.sinks.base import OutgoingDocument, Rejected, SinkConnection
from oms.accounting.sinks.kingdee import KingdeeCloudGalaxy
from oms.accounting.states import DocumentKind
from oms.cli import app as cli
from oms.config import Settings
from oms.core.clock import ManualClock
from oms.core.uow import Database
from tests.fixtures.gateways import ORDER_TOTAL, FakeGateway
from tests.fixtures.jobs import app_worker
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.vouchers import FakeKingdee, FakeU8, start_kingdee
from tests.integration.accounting.conftest import KD_SECRET, U8_SECRET
from tests.integration.refunds.conftest import approve, gateway_paid_order, refund, request

Jobs = Callable[..., int]
KD_SETTINGS = ("user=oms-sync", "app_id=229788_oms", "account_book=001")
U8_SETTINGS = ("from_account=oms_dev", "app_key=opa6fdd4b")


def oms(*args: str, secret: str | None = None) -> Any:
    env = {"ERP_APP_SECRET": secret} if secret is not None else {}
    return CliRunner().invoke(cli, list(args), env=env)


def connect(
    tenant: TenantKeys, sink: str, url: str, company: str, settings: tuple[str, ...], secret: str
) -> Any:
    args = ["accounting", "connect", "--tenant", tenant.tenant_id, "--sink", sink]
    args += ["--base-url", url, "--company", company]
    for setting in settings:
        args += ["--set", setting]
    return oms(*args, secret=secret)


def connect_kingdee(tenant: TenantKeys, fake: FakeKingdee, *extra: str) -> dict[str, Any]:
    result = connect(tenant, "kingdee", fake.url, fake.acct_id, (*KD_SETTINGS, *extra), KD_SECRET)
    assert result.exit_code == 0, result.output
    shown: dict[str, Any] = json.loads(result.output)
    return shown


def connect_u8(tenant: TenantKeys, fake: FakeU8, *extra: str) -> dict[str, Any]:
    result = connect(tenant, "u8", fake.url, fake.to_account, (*U8_SETTINGS, *extra), U8_SECRET)
    assert result.exit_code == 0, result.output
    shown: dict[str, Any] = json.loads(result.output)
    return shown


def documents(tenant: TenantKeys, *extra: str) -> list[dict[str, Any]]:
    result = oms("accounting", "documents", "--tenant", tenant.tenant_id, *extra)
    assert result.exit_code == 0, result.output
    items: list[dict[str, Any]] = json.loads(result.output)["items"]
    return items


def resend(tenant: TenantKeys, document_id: str, clock: ManualClock) -> None:
    result = oms("accounting", "resend", "--tenant", tenant.tenant_id, "--document", document_id)
    assert result.exit_code == 0, result.output
    clock.set(datetime.now(UTC) + timedelta(minutes=1))  # the CLI queued it on the wall clock


def finance_tickets(client: TestClient, tenant: TenantKeys, order_id: str) -> list[Any]:
    response = client.get(f"/api/v1/tickets?order_id={order_id}", headers=tenant.headers())
    return [t for t in response.json()["items"] if t["kind"] == "accounting_rejected"]


def entries(voucher: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (e["FACCOUNTID"]["FNumber"], e.get("FDEBIT", ""), e.get("FCREDIT", ""))
        for e in voucher["FEntity"]
    ]


def test_a_confirmed_payment_is_one_balanced_kingdee_voucher_bank_to_revenue(
    client: TestClient,
    configured: TenantKeys,
    gateway: FakeGateway,
    kingdee: FakeKingdee,
    run_jobs: Jobs,
    cli_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    shown = connect_kingdee(configured, kingdee)
    assert shown["settings"]["voucher_group"] == "PRE001" and KD_SECRET not in json.dumps(shown)
    order = gateway_paid_order(client, configured, gateway, run_jobs)
    run_jobs()

    [(voucher_id, voucher)] = kingdee.vouchers.items()
    [document] = documents(configured)
    assert (document["status"], document["external_id"]) == ("sent", voucher_id)
    assert entries(voucher) == [("1002", "730.00", ""), ("6001", "", "730.00")]
    assert voucher["FDate"] == "2026-01-24" and voucher["FAccountBookID"] == {"FNumber": "001"}
    assert all(document["id"] in e["FEXPLANATION"] for e in voucher["FEntity"])
    assert order["order_no"] in voucher["FEntity"][0]["FEXPLANATION"]
    assert kingdee.calls == ["LoginBySign", "ExecuteBillQuery", "Save"]
    assert KD_SECRET not in capsys.readouterr().err


def test_a_refund_is_a_kingdee_voucher_refund_account_to_bank_with_configured_codes(
    client: TestClient,
    configured: TenantKeys,
    gateway: FakeGateway,
    kingdee: FakeKingdee,
    run_jobs: Jobs,
    cli_env: None,
) -> None:
    connect_kingdee(configured, kingdee, "account_refund=6051", "receipt_credit=receivable")
    order = gateway_paid_order(client, configured, gateway, run_jobs)
    asked = request(client, configured, order_id=order["id"], whole_order=True).json()
    approve(client, configured, asked["id"])
    run_jobs()
    assert refund(client, configured, asked["id"])["status"] == "refunded"

    receipt, refunded = kingdee.vouchers.values()
    assert entries(receipt) == [("1002", "730.00", ""), ("1122", "", "730.00")]
    assert entries(refunded) == [("6051", "730.00", ""), ("1002", "", "730.00")]
    assert "退款" in refunded["FEntity"][0]["FEXPLANATION"]


def test_a_kingdee_refusal_opens_a_ticket_with_its_message_and_a_resend_saves_one_voucher(
    clock: ManualClock,
    client: TestClient,
    configured: TenantKeys,
    gateway: FakeGateway,
    kingdee: FakeKingdee,
    run_jobs: Jobs,
    cli_env: None,
) -> None:
    connect_kingdee(configured, kingdee, "account_revenue=6001.99")  # not in the chart
    order = gateway_paid_order(client, configured, gateway, run_jobs)
    run_jobs()

    [document] = documents(configured, "--status", "rejected")
    assert (
        document["last_error"] == "Kingdee: FACCOUNTID: 第2行分录,科目编码 6001.99 不存在或未审核"
    )
    [ticket] = finance_tickets(client, configured, order["id"])
    assert ticket["assignee_role"] == "finance" and ticket["id"] == document["ticket_id"]
    assert ticket["details"]["message"] == document["last_error"]
    assert kingdee.vouchers == {}

    connect_kingdee(configured, kingdee)  # finance fixes the account
    resend(configured, document["id"], clock)
    run_jobs()
    resend_refused = oms(
        "accounting", "resend", "--tenant", configured.tenant_id, "--document", document["id"]
    )
    assert "ERR_ACCOUNTING_INVALID_TRANSITION" in resend_refused.output
    [document] = documents(configured)
    assert document["status"] == "sent" and len(kingdee.vouchers) == 1


def test_a_kingdee_save_that_timed_out_is_found_on_the_retry_not_saved_twice(
    db: Database,
    clock: ManualClock,
    client: TestClient,
    configured: TenantKeys,
    gateway: FakeGateway,
    kingdee: FakeKingdee,
    cli_env: None,
) -> None:
    settings = Settings(
        env="test", job_max_attempts=3, job_backoff_base_seconds=1, accounting_timeout_seconds=0.5
    )
    worker = app_worker(db, settings, payment_query_timeout=0.5, refund_timeout=2.0)

    def run_jobs(*, later: bool = False) -> int:
        if later:
            clock.advance(timedelta(seconds=30))
        return sum(worker.run_once() for _ in range(6))

    connect_kingdee(configured, kingdee)
    kingdee.slow_saves = [1.5]  # Kingdee saves it; the answer comes after the sink gave up
    gateway_paid_order(client, configured, gateway, run_jobs)
    run_jobs()
    [document] = documents(configured)
    assert document["status"] == "pending" and len(kingdee.vouchers) == 1
    run_jobs(later=True)
    [document] = documents(configured)
    assert document["status"] == "sent"
    assert [document["external_id"]] == list(kingdee.vouchers)
    assert kingdee.calls.count("Save") == 1 and kingdee.calls.count("ExecuteBillQuery") == 2


def test_a_wrong_kingdee_secret_is_a_refusal_naming_the_login(
    client: TestClient,
    configured: TenantKeys,
    gateway: FakeGateway,
    kingdee: FakeKingdee,
    run_jobs: Jobs,
    cli_env: None,
) -> None:
    result = connect(configured, "kingdee", kingdee.url, kingdee.acct_id, KD_SETTINGS, "wrong")
    assert result.exit_code == 0, result.output
    order = gateway_paid_order(client, configured, gateway, run_jobs)
    run_jobs()
    [document] = documents(configured)
    assert document["status"] == "rejected"
    assert document["last_error"] == "Kingdee login refused: 第三方系统登录授权验证失败"
    assert len(finance_tickets(client, configured, order["id"])) == 1
    assert kingdee.calls == ["LoginBySign"]


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        (("app_id=229788_oms", "account_book=001"), "setting user"),
        (("user=oms-sync", "app_id=229788_oms"), "setting account_book"),
        (("user=oms-sync", "account_book=001"), "app_id"),
        ((*KD_SETTINGS, "colour=blue"), "unknown Kingdee settings"),
        ((*KD_SETTINGS, "account_bank="), "account_bank must be an account code"),
        ((*KD_SETTINGS, "receipt_credit=cash"), "receipt_credit is revenue or receivable"),
        ((*KD_SETTINGS, "login=oauth"), "login is sign or password"),
    ],
)
def test_a_bad_kingdee_configuration_is_refused_with_a_clear_error(
    tenant: TenantKeys, kingdee: FakeKingdee, cli_env: None, settings: tuple[str, ...], problem: str
) -> None:
    result = connect(tenant, "kingdee", kingdee.url, kingdee.acct_id, settings, KD_SECRET)
    assert result.exit_code == 2, result.output
    assert "ERR_ACCOUNTING_INVALID_SETTINGS" in result.output and problem in result.output
    assert KD_SECRET not in result.output


def test_a_kingdee_error_in_the_voucher_query_is_a_refusal() -> None:
    fake = FakeKingdee(acct_id="a", user="u", app_id="x_y", app_secret="s")
    httpd = start_kingdee(fake)
    try:
        connection = SinkConnection(
            "a",
            fake.url,
            "s",
            "",
            None,
            settings={"user": "u", "app_id": "x_y", "account_book": "001"},
        )
        document = OutgoingDocument(
            "d'1", DocumentKind.SALES_RECEIPT, "N1", None, 100, "CNY", date(2026, 1, 24)
        )
        fake.books = set()
        with pytest.raises(Rejected, match="账簿编码 001 不存在"):
            KingdeeCloudGalaxy().send(connection, document, timeout=5, now=datetime.now(UTC))
        assert fake.calls == ["LoginBySign", "ExecuteBillQuery", "Save"]
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_confirmed_payment_is_one_u8_voucher_keyed_by_the_document_id(
    db: Database,
    client: TestClient,
    configured: TenantKeys,
    gateway: FakeGateway,
    u8: FakeU8,
    run_jobs: Jobs,
    cli_env: None,
) -> None:
    connect_u8(configured, u8)
    u8.expire_tokens = 1  # the first add finds the token expired; the sink fetches another
    gateway_paid_order(client, configured, gateway, run_jobs)
    run_jobs()

    [(voucher_id, voucher)] = u8.vouchers.items()
    [document] = documents(configured)
    assert (document["status"], document["external_id"]) == ("sent", voucher_id)
    adds = [c["query"] for c in u8.calls if c["path"] == "/api/voucher/add"]
    assert {a["biz_id"] for a in adds} == {document["id"]} and len(adds) == 2
    assert (voucher["voucher_making_system"], voucher["reserve2"]) == ("CDM", document["id"])
    assert voucher["voucher_type"] == "记" and voucher["date"] == "2026-01-24"
    [debit] = voucher["debit"]["entry"]
    [credit] = voucher["credit"]["entry"]
    assert (debit["account_code"], debit["natural_debit_currency"]) == ("1002", "730.00")
    assert (credit["account_code"], credit["natural_credit_currency"]) == ("6001", "730.00")
    assert Decimal(debit["natural_debit_currency"]) * 100 == ORDER_TOTAL

    # Sent again under the same id (a worker that died after U8 created it): the same voucher.
    with db.uow() as uow:  # back to pending by hand, as a crash before the settle leaves it
        row = uow.session.get(AccountingDocument, (configured.tenant_id, document["id"]))
        assert row is not None
        row.status = "pending"
        uow.commit()
    send_document(
        db,
        tenant_id=configured.tenant_id,
        document_id=document["id"],
        is_last_attempt=True,
        timeout=5,
    )
    assert len(u8.vouchers) == 1 and documents(configured)[0]["external_id"] == voucher_id


def test_a_u8_refusal_opens_a_ticket_and_a_resend_after_the_fix_adds_one_voucher(
    clock: ManualClock,
    client: TestClient,
    configured: TenantKeys,
    gateway: FakeGateway,
    u8: FakeU8,
    run_jobs: Jobs,
    cli_env: None,
) -> None:
    connect_u8(configured, u8, "account_bank=100201")
    order = gateway_paid_order(client, configured, gateway, run_jobs)
    run_jobs()
    [document] = documents(configured, "--status", "rejected")
    assert document["last_error"] == "U8: 科目编码[100201]不存在"
    [ticket] = finance_tickets(client, configured, order["id"])
    assert ticket["details"]["code"] == "99"

    connect_u8(configured, u8)
    resend(configured, document["id"], clock)
    run_jobs()
    assert documents(configured)[0]["status"] == "sent" and len(u8.vouchers) == 1


def test_a_wrong_u8_app_secret_or_bad_settings_are_clear(
    client: TestClient,
    configured: TenantKeys,
    gateway: FakeGateway,
    u8: FakeU8,
    run_jobs: Jobs,
    cli_env: None,
) -> None:
    missing = connect(configured, "u8", u8.url, u8.to_account, ("app_key=opa6fdd4b",), U8_SECRET)
    assert missing.exit_code == 2 and "U8 needs the setting from_account" in missing.output
    result = connect(configured, "u8", u8.url, u8.to_account, U8_SETTINGS, "wrong")
    assert result.exit_code == 0, result.output
    gateway_paid_order(client, configured, gateway, run_jobs)
    run_jobs()
    [document] = documents(configured)
    assert document["last_error"] == "U8 token refused: app_key或app_secret不正确"
    assert u8.vouchers == {}


def test_a_file_delivery_connection_exports_each_voucher_once_in_kingdees_import_layout(
    tmp_path: Path,
    client: TestClient,
    configured: TenantKeys,
    gateway: FakeGateway,
    run_jobs: Jobs,
    cli_env: None,
) -> None:
    settings = ("delivery=file", "account_book=001")
    result = connect(configured, "kingdee", "http://127.0.0.1:9", "6490b5d2", settings, "-")
    assert result.exit_code == 0, result.output
    order = gateway_paid_order(client, configured, gateway, run_jobs)
    run_jobs()
    [document] = documents(configured)
    assert document["status"] == "pending"  # nothing was sent: it waits for the export

    out = tmp_path / "vouchers.xlsx"
    args = ["accounting", "export", "--tenant", configured.tenant_id, "--sink", "kingdee"]
    exported = oms(*args, "--since", "2026-01-01", "--until", "2026-01-31", "--out", str(out))
    assert exported.exit_code == 0, exported.output
    summary = json.loads(exported.output)
    assert (summary["vouchers"], summary["entries"]) == (1, 2)
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    keys, captions, first, second = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert keys[:3] == ["FBillHead(GL_VOUCHER)", "FAccountBookID", "FDate"]
    assert captions[0] == "单据头(序号)"
    row = dict(zip(keys, first, strict=True))
    assert (row["FBillHead(GL_VOUCHER)"], row["FDate"]) == (document["id"], "2026-01-24")
    assert (row["FACCOUNTID"], row["FDEBIT"], row["FCREDIT"]) == ("1002", "730.00", None)
    assert order["order_no"] in row["FEXPLANATION"]
    other = dict(zip(keys, second, strict=True))
    assert other["FBillHead(GL_VOUCHER)"] is None
    assert (other["FACCOUNTID"], other["FCREDIT"]) == ("6001", "730.00")
    [document] = documents(configured)
    assert (document["status"], document["external_id"]) == ("sent", f"file:{summary['export_id']}")

    twice = oms(*args, "--out", str(tmp_path / "again.csv"))
    assert json.loads(twice.output)["vouchers"] == 0  # exported once
    rewrite = oms(*args, "--again", summary["export_id"], "--out", str(tmp_path / "again.csv"))
    assert json.loads(rewrite.output)["vouchers"] == 1
    text = (tmp_path / "again.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("FBillHead(GL_VOUCHER),FAccountBookID")


def test_a_u8_export_is_the_gbk_voucher_import_text(
    tmp_path: Path,
    client: TestClient,
    configured: TenantKeys,
    gateway: FakeGateway,
    run_jobs: Jobs,
    cli_env: None,
) -> None:
    settings = ("delivery=file", "enter=张会计")
    result = connect(configured, "u8", "http://127.0.0.1:9", "merchant", settings, "-")
    assert result.exit_code == 0, result.output
    gateway_paid_order(client, configured, gateway, run_jobs)
    run_jobs()
    out = tmp_path / "u8.txt"
    args = ["accounting", "export", "--tenant", configured.tenant_id, "--sink", "u8"]
    assert oms(*args, "--out", str(out)).exit_code == 0
    header, debit, credit = out.read_bytes().decode("gbk").splitlines()
    assert header == "填制凭证,V800"
    [document] = documents(configured)
    number = document["id"].replace("-", "")[:30]
    assert debit.split(",")[:4] == ["2026-01-24", "记", number, "0"]
    assert debit.split(",")[5:8] == ["1002", "730.00", "0.00"]
    assert credit.split(",")[5:8] == ["6001", "0.00", "730.00"]
    assert debit.split(",")[11] == "张会计"

    wrong = oms(*args, "--out", str(tmp_path / "u8.xlsx"))
    assert wrong.exit_code == 2 and "not a u8 import file" in wrong.output


def test_an_api_connection_cannot_be_exported(
    tmp_path: Path, configured: TenantKeys, kingdee: FakeKingdee, cli_env: None
) -> None:
    connect_kingdee(configured, kingdee)
    args = ["accounting", "export", "--tenant", configured.tenant_id, "--sink", "kingdee"]
    result = oms(*args, "--out", str(tmp_path / "v.xlsx"))
    assert result.exit_code == 2 and "ERR_ACCOUNTING_INVALID_SETTINGS" in result.output
