"""Completed refunds leave signed, chained vouchers; any tampering is found."""

from __future__ import annotations

import base64
import csv
import io
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from oms.cli import app
from oms.config import get_settings
from oms.core.uow import Database
from oms.orders.schemas import OrderEventIn
from oms.orders.service import apply_event, place_order
from oms.orders.states import OrderEvent
from oms.refunds.execution import execute_refund
from oms.refunds.schemas import DecisionIn, RefundIn
from oms.refunds.service import approve_refund, request_refund
from oms.vouchers.queries import verify_chain
from tests.fixtures.gateways import FakeGateway
from tests.fixtures.orders import order_create
from tests.fixtures.tenants import TenantKeys, make_tenant
from tests.integration.refunds.conftest import approve, gateway_paid_order, request
from tests.integration.vouchers.conftest import refunded


def _export(client: TestClient, tenant: TenantKeys, fmt: str = "jsonl") -> Any:
    return client.get(f"/api/v1/vouchers?format={fmt}", headers=tenant.headers("finance"))


def _verify(client: TestClient, tenant: TenantKeys) -> dict[str, Any]:
    response = client.get("/api/v1/vouchers/verify", headers=tenant.headers("finance"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _public_key(db: Database, tenant_id: str) -> Ed25519PublicKey:
    with db.engine.connect() as conn:
        raw = conn.execute(
            text("SELECT public_key FROM voucher_keys WHERE tenant_id = :t"), {"t": tenant_id}
        ).scalar_one()
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(raw))


def test_a_gateway_refund_gets_a_signed_voucher_and_the_chain_verifies(
    client: TestClient,
    db: Database,
    configured: TenantKeys,
    gateway: FakeGateway,
    run_jobs: Callable[..., int],
) -> None:
    order = gateway_paid_order(client, configured, gateway, run_jobs)
    asked = request(client, configured, order_id=order["id"], amount=1000).json()
    approve(client, configured, asked["id"])
    run_jobs()
    [line] = _export(client, configured).text.splitlines()
    record = json.loads(line)
    doc = record["document"]
    assert (doc["seq"], doc["prev_hash"]) == (1, "0" * 64)
    assert doc["order"] == {"id": order["id"], "order_no": order["order_no"]}
    assert (doc["refund"]["id"], doc["refund"]["amount"], doc["refund"]["currency"]) == (
        asked["id"],
        1000,
        "CNY",
    )
    assert doc["gateway"]["name"] == "alipay" and doc["gateway"]["out_request_no"] == asked["id"]
    assert doc["accounts"]["gateway_app_id"] and doc["timestamps"]["refunded_at"].endswith("Z")
    public_key = _public_key(db, configured.tenant_id)
    public_key.verify(base64.b64decode(record["signature"]), bytes.fromhex(record["hash"]))
    assert _verify(client, configured) == {
        "tenant_id": configured.tenant_id,
        "is_valid": True,
        "count": 1,
        "last_seq": 1,
        "first_bad_seq": None,
        "problem": None,
    }


_AT = " WHERE tenant_id = :t AND seq = "
TAMPERING: dict[str, tuple[list[str], int, str]] = {
    "amount_changed": (
        ["UPDATE vouchers SET document = REPLACE(document, :old, :new)" + _AT + "2"],
        2,
        "hash_mismatch",
    ),
    "row_removed": (["DELETE FROM vouchers" + _AT + "2"], 2, "missing"),
    "last_removed": (["DELETE FROM vouchers" + _AT + "3"], 3, "missing"),
    # Through a free number: (tenant, seq) is the primary key.
    "swapped": (
        [
            "UPDATE vouchers SET seq = 99" + _AT + "1",
            "UPDATE vouchers SET seq = 1" + _AT + "2",
            "UPDATE vouchers SET seq = 2" + _AT + "99",
        ],
        1,
        "out_of_order",
    ),
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_tampering_is_found_at_the_first_bad_sequence_number(
    case: str,
    client: TestClient,
    db: Database,
    tenant: TenantKeys,
    run_jobs: Callable[..., int],
) -> None:
    for amount in (1001, 1002, 1003):
        refunded(client, tenant, run_jobs, amount=amount)
    assert _verify(client, tenant)["is_valid"] is True
    statements, bad_seq, problem = TAMPERING[case]
    params = {"t": tenant.tenant_id, "old": '"amount":1002', "new": '"amount":1'}
    with db.engine.begin() as conn:
        for statement in statements:
            assert conn.execute(text(statement), params).rowcount == 1
    report = _verify(client, tenant)
    assert (report["is_valid"], report["first_bad_seq"], report["problem"]) == (
        False,
        bad_seq,
        problem,
    )


def test_the_cli_verifies_and_exports(
    client: TestClient,
    db: Database,
    tenant: TenantKeys,
    run_jobs: Callable[..., int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    refunded(client, tenant, run_jobs)
    refunded(client, tenant, run_jobs, amount=2000)
    monkeypatch.setenv("OMS_DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        ok = runner.invoke(app, ["vouchers", "verify", "--tenant", tenant.tenant_id])
        assert ok.exit_code == 0, ok.output
        exported = runner.invoke(
            app, ["vouchers", "export", "--tenant", tenant.tenant_id, "--format", "csv"]
        )
        assert exported.exit_code == 0, exported.output
        rows = list(csv.DictReader(io.StringIO(exported.output)))
        assert [(r["seq"], r["amount"]) for r in rows] == [("1", "1000"), ("2", "2000")]
        with db.engine.begin() as conn:
            conn.execute(
                text("DELETE FROM vouchers WHERE seq = 1 AND tenant_id = :t"),
                {"t": tenant.tenant_id},
            )
        broken = runner.invoke(app, ["vouchers", "verify", "--tenant", tenant.tenant_id])
        assert broken.exit_code == 1 and "ERR_VOUCHER_CHAIN_BROKEN" in broken.output
    finally:
        get_settings.cache_clear()


def test_csv_and_jsonl_exports_list_vouchers_in_sequence(
    client: TestClient, tenant: TenantKeys, run_jobs: Callable[..., int]
) -> None:
    first = refunded(client, tenant, run_jobs, amount=1500)
    second = refunded(client, tenant, run_jobs, amount=2500)
    as_csv = _export(client, tenant, "csv")
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [(r["refund_id"], r["amount"], r["gateway"]) for r in rows] == [
        (first["id"], "1500", "channel"),
        (second["id"], "2500", "channel"),
    ]
    lines = [json.loads(line) for line in _export(client, tenant).text.splitlines()]
    assert lines[1]["prev_hash"] == lines[0]["hash"]


@pytest.mark.postgres
def test_concurrent_refunds_keep_one_chain(pg_db: Database) -> None:
    tenant = make_tenant(pg_db)
    actor = tenant.actor()
    refund_ids = []
    for _ in range(8):
        order_id = place_order(pg_db, actor, order_create()).order.id
        apply_event(pg_db, actor, order_id, OrderEventIn(event=OrderEvent.PAY))
        asked = request_refund(
            pg_db, actor, RefundIn(order_id=order_id, amount=100, reason="quality")
        )
        approve_refund(pg_db, actor, asked.refund.id, DecisionIn())
        refund_ids.append(asked.refund.id)
    start = threading.Barrier(len(refund_ids))

    def execute(refund_id: str) -> None:
        start.wait()
        execute_refund(pg_db, tenant_id=tenant.tenant_id, refund_id=refund_id, is_last_attempt=True)

    threads = [threading.Thread(target=execute, args=(r,)) for r in refund_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report = verify_chain(pg_db, tenant.tenant_id)
    assert (report.is_valid, report.count, report.last_seq) == (True, 8, 8)
