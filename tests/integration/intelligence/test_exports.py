"""BI feeds: partitioned Parquet and CSV files, incremental by updated_since, and the API stream."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from oms.core.clock import ManualClock
from oms.core.errors import AppError
from oms.core.uow import Database
from oms.intelligence.exports.service import export_to_directory
from oms.orders import service as orders
from oms.orders.schemas import OrderEventIn
from tests.fixtures.orders import order_create, post_order
from tests.fixtures.tenants import TenantKeys

OVERLAP = timedelta(seconds=2)


def _place(db: Database, tenant: TenantKeys, external_id: str) -> str:
    placed = orders.place_order(db, tenant.actor(), order_create(external_id=external_id))
    return placed.order.id


def _pay(db: Database, tenant: TenantKeys, order_id: str) -> None:
    pay = OrderEventIn.model_validate({"event": "pay", "source": "manual"})
    orders.apply_event(db, tenant.actor(), order_id, pay)


def test_orders_and_lines_are_written_as_parquet_partitions_by_tenant_and_local_day(
    db: Database, tenant: TenantKeys, other_tenant: TenantKeys, tmp_path: Path, clock: ManualClock
) -> None:
    first = _place(db, tenant, "x-1")
    clock.advance(timedelta(days=1))
    second = _place(db, tenant, "x-2")
    _place(db, other_tenant, "y-1")
    clock.advance(timedelta(seconds=10))

    summary = export_to_directory(
        db,
        tenant.tenant_id,
        ["orders", "order_lines"],
        "parquet",
        tmp_path,
        since=None,
        overlap=OVERLAP,
    )

    assert summary.rows == {"orders": 2, "order_lines": 4}
    folders = sorted(p.parent.name for p in (tmp_path / "orders").rglob("*.parquet"))
    assert len(folders) == 2 and all(f.startswith("date=") for f in folders)
    table = ds.dataset(tmp_path / "orders", format="parquet", partitioning="hive").to_table()
    rows = {r["order_id"]: r for r in table.to_pylist()}
    assert set(rows) == {first, second}  # the other tenant's order is not there
    assert {r["tenant_id"] for r in rows.values()} == {tenant.tenant_id}
    assert rows[first]["total"] == 2 * 32800 + 6900 + 1000 - 500
    assert rows[first]["province"] == "浙江省" and rows[first]["city"] == "杭州市"
    assert "buyer_phone" not in table.column_names and "buyer_name" not in table.column_names
    lines = ds.dataset(tmp_path / "order_lines", format="parquet", partitioning="hive").to_table()
    assert sorted(lines.column("sku").to_pylist()) == [
        "CUP-GLS-300",
        "CUP-GLS-300",
        "TEA-LJ-250",
        "TEA-LJ-250",
    ]
    assert not list(tmp_path.rglob("*.tmp"))


def test_an_incremental_export_adds_only_what_changed_since_the_watermark(
    db: Database, tenant: TenantKeys, tmp_path: Path, clock: ManualClock
) -> None:
    kept = _place(db, tenant, "x-1")
    paid = _place(db, tenant, "x-2")
    clock.advance(timedelta(minutes=5))
    full = export_to_directory(
        db, tenant.tenant_id, ["orders"], "csv", tmp_path, since=None, overlap=OVERLAP
    )
    clock.advance(timedelta(minutes=5))
    _pay(db, tenant, paid)
    new = _place(db, tenant, "x-3")
    clock.advance(timedelta(minutes=5))

    step = export_to_directory(
        db, tenant.tenant_id, ["orders"], "csv", tmp_path, since=full.until, overlap=OVERLAP
    )

    assert full.rows == {"orders": 2} and step.rows == {"orders": 2}
    changed = {}
    for name in step.files:
        with open(name, encoding="utf-8", newline="") as handle:
            changed |= {row["order_id"]: row for row in csv.DictReader(handle)}
    assert set(changed) == {paid, new} and kept not in changed
    assert changed[paid]["status"] == "paid" and changed[paid]["paid_at"]
    assert json.loads(json.dumps(step.as_json()))["next_updated_since"] == step.until.isoformat()


def test_an_order_past_its_payment_deadline_is_exported_as_cancelled_at_the_deadline(
    db: Database, tenant: TenantKeys, tmp_path: Path, clock: ManualClock
) -> None:
    overdue = _place(db, tenant, "x-1")
    clock.advance(timedelta(days=2))  # far past the default payment timeout, no job has run

    export_to_directory(
        db, tenant.tenant_id, ["orders"], "parquet", tmp_path, since=None, overlap=OVERLAP
    )

    (row,) = pq.read_table(next((tmp_path / "orders").rglob("*.parquet"))).to_pylist()
    assert row["order_id"] == overdue and row["status"] == "cancelled"
    assert row["cancelled_at"] is not None and row["cancelled_at"] == row["updated_at"]


@pytest.mark.parametrize(
    ("names", "fmt", "code"),
    [
        (["orders", "secrets"], "parquet", "ERR_EXPORT_INVALID"),
        (["orders"], "xlsx", "ERR_EXPORT_INVALID"),
    ],
)
def test_an_unknown_dataset_or_format_is_refused_before_anything_is_written(
    db: Database, tenant: TenantKeys, tmp_path: Path, names: list[str], fmt: str, code: str
) -> None:
    _place(db, tenant, "x-1")
    with pytest.raises(AppError) as refused:
        export_to_directory(db, tenant.tenant_id, names, fmt, tmp_path, since=None, overlap=OVERLAP)
    assert refused.value.code == code
    assert not list(tmp_path.iterdir())


def test_the_api_streams_a_dataset_with_its_watermark_and_refuses_bad_input(
    client: TestClient, tenant: TenantKeys, other_tenant: TenantKeys, clock: ManualClock
) -> None:
    mine = post_order(client, tenant, external_id="x-1")
    post_order(client, other_tenant, external_id="y-1")
    clock.advance(timedelta(seconds=5))

    answer = client.get("/api/v1/exports/orders?format=csv", headers=tenant.headers("finance"))
    assert answer.status_code == 200, answer.text
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [r["order_id"] for r in rows] == [mine["id"]]
    watermark = answer.headers["OMS-Next-Updated-Since"]

    parquet = client.get("/api/v1/exports/order_lines", headers=tenant.headers("integration"))
    assert parquet.headers["content-type"] == "application/vnd.apache.parquet"
    assert pq.read_table(io.BytesIO(parquet.content)).num_rows == 2

    clock.advance(timedelta(minutes=1))
    later = client.get(
        "/api/v1/exports/orders",
        params={"format": "csv", "updated_since": watermark},
        headers=tenant.headers(),
    )
    assert later.status_code == 200 and list(csv.DictReader(io.StringIO(later.text))) == []

    for path, status in [
        ("/api/v1/exports/api_keys", 422),
        ("/api/v1/exports/orders?format=xml", 422),
        ("/api/v1/exports/orders?updated_since=yesterday", 422),
        ("/api/v1/exports/orders?updated_since=2999-01-01T00:00:00Z", 422),
    ]:
        refused = client.get(path, headers=tenant.headers())
        assert refused.status_code == status, (path, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert (
        client.get("/api/v1/exports/orders", headers=tenant.headers("warehouse")).status_code == 403
    )


def test_oms_export_writes_files_and_prints_the_next_watermark(
    db: Database,
    tenant: TenantKeys,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clock: ManualClock,
) -> None:
    from oms import cli
    from oms.core import cli as core_cli

    _place(db, tenant, "x-1")
    clock.advance(timedelta(seconds=1))
    monkeypatch.setattr(core_cli, "database", lambda settings=None: db)
    monkeypatch.setattr("oms.intelligence.exports.cli.database", lambda settings=None: db)
    runner = CliRunner()
    done = runner.invoke(
        cli.app,
        ["export", "--tenant", tenant.tenant_id, "--out", str(tmp_path), "--dataset", "orders"],
    )
    assert done.exit_code == 0, done.output
    printed = json.loads(done.output)
    assert printed["rows"] == {"orders": 1} and printed["next_updated_since"]
    bad = runner.invoke(
        cli.app,
        [
            "export",
            "--tenant",
            tenant.tenant_id,
            "--out",
            str(tmp_path),
            "--updated-since",
            "monday",
        ],
    )
    assert bad.exit_code == 2 and "ERR_EXPORT_INVALID" in bad.output
