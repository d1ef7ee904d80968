"""Statement pulls: Alipay and WeChat Pay bills and a bank's HTTP statement, from jobs only.

Each source is a local server speaking the real protocol with keys the tests generate
(tests.fixtures.bill_server over tests.fixtures.gateways). Pulled files go through the normal
import, so a bill line carrying the gateway trade number matches its payment exactly.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from oms.config import Settings
from oms.core.clock import ManualClock
from oms.core.jobs import Worker, list_jobs
from oms.core.uow import Database
from oms.finance import service as finance
from oms.finance.events import StatementPullDue
from oms.finance.pulls.models import PullSource
from oms.finance.pulls.service import schedule_due
from oms.orders.service import place_order
from oms.payments.models import Payment
from tests.fixtures.bill_server import BANK_TOKEN, BillServer, alipay_bill_zip, wechat_trade_bill
from tests.fixtures.finance import statement
from tests.fixtures.gateways import alipay_config, key_pair, wechatpay_config
from tests.fixtures.jobs import app_worker
from tests.fixtures.orders import order_create
from tests.fixtures.tenants import TenantKeys

SOURCES = "/api/v1/finance/pull-sources"
DAY = "2026-11-24"
ALIPAY_TRADE = "2026112422001400000001"
WECHAT_TRADE = "4200000000202611240000000001"


@pytest.fixture
def bills(clock: ManualClock) -> Iterator[BillServer]:
    server = BillServer(clock).start()
    yield server
    server.stop()


@pytest.fixture
def worker(db: Database) -> Worker:
    return app_worker(db, Settings(env="test", job_max_attempts=3), name="pull-test")


@pytest.fixture
def gateways(client: TestClient, tenant: TenantKeys, bills: BillServer) -> TenantKeys:
    for name, config in (
        ("alipay", alipay_config(bills.base_url)),
        ("wechatpay", wechatpay_config(bills.base_url)),
    ):
        response = client.put(
            f"/api/v1/payments/gateways/{name}", json=config, headers=tenant.headers()
        )
        assert response.status_code == 200, response.text
    return tenant


def _paid(db: Database, tenant: TenantKeys, gateway: str, trade_no: str) -> tuple[str, int]:
    """A confirmed payment and its expected movement; returns (order_no, amount)."""
    order = place_order(db, tenant.actor(), order_create()).order
    at = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    with db.uow() as uow:
        uow.session.add(
            Payment(
                tenant_id=tenant.tenant_id,
                id=f"pay-{trade_no}",
                order_id=order.id,
                order_no=order.order_no,
                gateway=gateway,
                trade_no=trade_no,
                amount=order.totals.total,
                currency="CNY",
                status="confirmed",
                version=1,
                notified_state="SUCCESS",
                gateway_paid_at=at,
                inbox_message_id=f"in-{trade_no}",
                created_at=at,
                updated_at=at,
            )
        )
        uow.commit()
    assert finance.sync_expected(db, tenant.tenant_id).added == 1
    return order.order_no, order.totals.total


def _source(client: TestClient, tenant: TenantKeys, **body: Any) -> dict[str, Any]:
    response = client.post(SOURCES, json=body, headers=tenant.headers())
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _pull(client: TestClient, tenant: TenantKeys, source_id: str, day: str = DAY) -> str:
    response = client.post(
        f"{SOURCES}/{source_id}/pull", params={"bill_date": day}, headers=tenant.headers()
    )
    assert response.status_code == 202, response.text
    job_id: str = response.json()["job_id"]
    return job_id


def _runs(client: TestClient, tenant: TenantKeys, source_id: str) -> list[dict[str, Any]]:
    page = client.get(f"{SOURCES}/{source_id}/runs", headers=tenant.headers()).json()
    runs: list[dict[str, Any]] = page["items"]
    return runs


def _get(client: TestClient, tenant: TenantKeys, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get(path, headers=tenant.headers()).json()["items"]
    return items


def _money(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def test_an_alipay_bill_is_pulled_by_a_job_and_matches_by_trade_number(
    db: Database,
    client: TestClient,
    gateways: TenantKeys,
    bills: BillServer,
    worker: Worker,
) -> None:
    tenant = gateways
    order_no, amount = _paid(db, tenant, "alipay", ALIPAY_TRADE)
    bills.alipay_bills[DAY] = alipay_bill_zip(
        [(ALIPAY_TRADE, order_no, "交易", _money(amount), "")], DAY
    )
    source = _source(client, tenant, name="alipay-daily", kind="alipay")
    _pull(client, tenant, source["id"])
    assert bills.requests == []  # the API only enqueued; the network is the job's
    worker.run_once()
    assert [r["signed_ok"] for r in bills.requests] == [True]
    (run,) = _runs(client, tenant, source["id"])
    assert (run["outcome"], run["lines_added"]) == ("imported", 1)
    (line,) = _get(client, tenant, "/api/v1/finance/lines")
    assert (line["bank_reference"], line["amount"], line["status"]) == (
        ALIPAY_TRADE,
        amount,
        "matched",
    )
    (match,) = _get(client, tenant, "/api/v1/finance/matches")
    assert match["status"] == "confirmed"
    assert any(r["params"].get("field") == "trade_no" for r in match["reasons"]), match["reasons"]
    (stored,) = _get(client, tenant, "/api/v1/finance/statements")
    assert (stored["source_id"], stored["format"]) == (source["id"], "alipay_bill")
    # The same day again: the same file, so nothing is added twice.
    _pull(client, tenant, source["id"])
    worker.run_once()
    assert _runs(client, tenant, source["id"])[0]["outcome"] == "duplicate_file"
    assert len(_get(client, tenant, "/api/v1/finance/lines")) == 1


def test_a_day_without_an_alipay_bill_is_an_empty_run(
    client: TestClient, gateways: TenantKeys, worker: Worker
) -> None:
    source = _source(client, gateways, name="alipay-daily", kind="alipay")
    _pull(client, gateways, source["id"], "2026-11-20")
    worker.run_once()
    (run,) = _runs(client, gateways, source["id"])
    assert (run["outcome"], run["statement_id"]) == ("empty", None)


def test_a_wechatpay_trade_bill_is_pulled_hash_checked_and_matched(
    db: Database,
    client: TestClient,
    gateways: TenantKeys,
    bills: BillServer,
    worker: Worker,
) -> None:
    tenant = gateways
    order_no, amount = _paid(db, tenant, "wechatpay", WECHAT_TRADE)
    bills.wechat_bills[("tradebill", DAY)] = wechat_trade_bill(
        [(WECHAT_TRADE, order_no, "SUCCESS", _money(amount))], DAY
    )
    source = _source(client, tenant, name="wechat-trade", kind="wechatpay", bill="tradebill")
    _pull(client, tenant, source["id"])
    worker.run_once()
    assert [(r["kind"], r["signed_ok"]) for r in bills.requests] == [
        ("wechat-bill", True),
        ("wechat-download", True),
    ]
    (run,) = _runs(client, tenant, source["id"])
    assert run["outcome"] == "imported", run
    (line,) = _get(client, tenant, "/api/v1/finance/lines")
    assert (line["bank_reference"], line["status"]) == (WECHAT_TRADE, "matched")


def test_a_wechatpay_bill_that_does_not_match_its_hash_imports_nothing(
    client: TestClient, gateways: TenantKeys, bills: BillServer, worker: Worker, db: Database
) -> None:
    bills.tamper_wechat = True
    bills.wechat_bills[("tradebill", DAY)] = wechat_trade_bill(
        [(WECHAT_TRADE, "261124000000000001", "SUCCESS", "730.00")], DAY
    )
    source = _source(client, gateways, name="wechat-trade", kind="wechatpay")
    job_id = _pull(client, gateways, source["id"])
    worker.run_once()
    (run,) = _runs(client, gateways, source["id"])
    assert (run["outcome"], run["error_code"]) == ("failed", "ERR_FINANCE_PULL_FAILED")
    assert "hash_value" in run["error"] and run["job_id"] == job_id
    assert _get(client, gateways, "/api/v1/finance/statements") == []
    (job,) = [j for j in list_jobs(db, tenant_id=gateways.tenant_id, status=None) if j.id == job_id]
    assert job.status == "pending" and job.attempts == 1  # the runner retries it later


def test_a_bank_statement_is_pulled_over_http_with_its_sealed_auth_header(
    db: Database, client: TestClient, tenant: TenantKeys, bills: BillServer, worker: Worker
) -> None:
    bills.bank_statements[DAY] = statement("sample.mt940")
    source = _source(
        client,
        tenant,
        name="icbc",
        kind="http",
        url=f"{bills.base_url}/bank/{{date}}.sta",
        format="mt940",
        auth_header="Authorization",
        auth_value=BANK_TOKEN,
    )
    assert source["has_auth_value"] is True and "auth_value" not in source
    with db.reader() as session:
        row = session.scalars(select(PullSource)).one()
    assert BANK_TOKEN not in str(row.sealed) and BANK_TOKEN not in str(row.settings)
    _pull(client, tenant, source["id"])
    worker.run_once()
    assert bills.requests == [{"kind": "bank", "auth": BANK_TOKEN}]
    (run,) = _runs(client, tenant, source["id"])
    assert (run["outcome"], run["lines_added"]) == ("imported", 3)
    lines = _get(client, tenant, "/api/v1/finance/lines")
    assert sorted(x["bank_reference"] for x in lines)[0] == "B24112400001"


def test_an_http_source_needs_a_url_and_both_auth_fields(
    client: TestClient, tenant: TenantKeys
) -> None:
    for body in (
        {"name": "x", "kind": "http"},
        {"name": "x", "kind": "http", "url": "http://127.0.0.1:9/s", "auth_header": "X-Key"},
        {"name": "x", "kind": "http", "url": "file:///etc/passwd"},
    ):
        response = client.post(SOURCES, json=body, headers=tenant.headers())
        assert response.status_code == 422
        assert response.json()["code"] == "ERR_FINANCE_INVALID_PULL_SOURCE"


def test_the_daily_schedule_enqueues_yesterdays_pull_once(
    db: Database, client: TestClient, tenant: TenantKeys, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 11, 25, 1, 0, tzinfo=UTC))  # 09:00 in Asia/Shanghai
    source = _source(client, tenant, name="alipay-daily", kind="alipay", run_at="09:30")
    assert source["next_run_at"].startswith("2026-11-25T01:30:00")
    assert schedule_due(db) == 0
    clock.advance(timedelta(minutes=31))
    assert schedule_due(db) == 1
    assert schedule_due(db) == 0
    (job,) = [
        j
        for j in list_jobs(db, tenant_id=tenant.tenant_id, status=None)
        if j.topic == StatementPullDue.topic
    ]
    assert job.payload == {"source_id": source["id"], "bill_date": "2026-11-24"}
    listed = _get(client, tenant, SOURCES)
    assert listed[0]["next_run_at"].startswith("2026-11-26T01:30:00")


def test_concurrent_schedulers_enqueue_a_due_pull_once(pg_db: Database, clock: ManualClock) -> None:
    from tests.fixtures.tenants import make_tenant

    tenant = make_tenant(pg_db)
    clock.set(datetime(2026, 11, 25, 1, 0, tzinfo=UTC))
    from oms.finance.pulls.schemas import PullSourceIn
    from oms.finance.pulls.service import create_source

    for i in range(5):
        create_source(
            pg_db, tenant.actor(), PullSourceIn(name=f"s{i}", kind="alipay", run_at="09:05")
        )
    clock.advance(timedelta(minutes=10))
    counts: list[int] = []
    barrier = threading.Barrier(4)

    def schedule() -> None:
        barrier.wait()
        counts.append(schedule_due(pg_db))

    threads = [threading.Thread(target=schedule) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    jobs = [
        j
        for j in list_jobs(pg_db, tenant_id=tenant.tenant_id, status=None)
        if j.topic == StatementPullDue.topic
    ]
    assert sum(counts) == 5 and len(jobs) == 5
    assert sorted(j.payload["bill_date"] for j in jobs) == [str(date(2026, 11, 24))] * 5


def test_an_alipay_answer_not_signed_by_alipay_imports_nothing(
    client: TestClient, tenant: TenantKeys, bills: BillServer, worker: Worker
) -> None:
    config = alipay_config(bills.base_url) | {"gateway_public_key": key_pair("other").public_pem}
    response = client.put("/api/v1/payments/gateways/alipay", json=config, headers=tenant.headers())
    assert response.status_code == 200
    bills.alipay_bills[DAY] = alipay_bill_zip([(ALIPAY_TRADE, "O1", "交易", "1.00", "")], DAY)
    source = _source(client, tenant, name="alipay-daily", kind="alipay")
    _pull(client, tenant, source["id"])
    worker.run_once()
    (run,) = _runs(client, tenant, source["id"])
    assert (run["outcome"], run["error_code"]) == ("failed", "ERR_FINANCE_PULL_FAILED")
    assert "does not verify" in run["error"]
    assert _get(client, tenant, "/api/v1/finance/statements") == []


def test_another_tenants_pull_source_is_a_404(
    client: TestClient, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    source = _source(client, tenant, name="alipay-daily", kind="alipay")
    for method, path in (("POST", "pull"), ("GET", "runs")):
        response = client.request(
            method, f"{SOURCES}/{source['id']}/{path}", headers=other_tenant.headers()
        )
        assert response.status_code == 404
        assert response.json()["code"] == "ERR_FINANCE_PULL_SOURCE_NOT_FOUND"
    assert _get(client, other_tenant, SOURCES) == []


def test_a_worker_pulls_yesterdays_bill_on_schedule_without_hands(
    db: Database,
    client: TestClient,
    gateways: TenantKeys,
    bills: BillServer,
    worker: Worker,
    clock: ManualClock,
) -> None:
    tenant = gateways
    order_no, amount = _paid(db, tenant, "alipay", ALIPAY_TRADE)
    bills.alipay_bills[DAY] = alipay_bill_zip(
        [(ALIPAY_TRADE, order_no, "交易", _money(amount), "")], DAY
    )
    clock.set(datetime(2026, 11, 25, 1, 0, tzinfo=UTC))  # 09:00 Beijing, before run_at
    source = _source(client, tenant, name="alipay-daily", kind="alipay", run_at="09:30")
    worker.run_once()
    assert bills.requests == []
    clock.advance(timedelta(minutes=31))
    worker.run_once()  # the sweep enqueues the pull of 2026-11-24, the same pass runs it
    (run,) = _runs(client, tenant, source["id"])
    assert (run["bill_date"], run["outcome"], run["lines_added"]) == (DAY, "imported", 1)
    (line,) = _get(client, tenant, "/api/v1/finance/lines")
    assert line["status"] == "matched"
