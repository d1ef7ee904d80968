"""``OMS_READ_DATABASE_URL``: lists and reports read the replica; the write path never does.

The "replica" here is a second, migrated PostgreSQL database that never receives a row: a
replica that lags forever. Every command must still work (it would fail or refuse if any of
its reads went to the empty replica), and the lists that may be served from a replica show
the replica's state, not the primary's.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from oms.app import create_app
from oms.config import Settings
from oms.core.clock import ManualClock
from oms.core.db import configured_database, make_engine
from oms.core.migrate import upgrade
from oms.core.uow import Database
from oms.inventory import queries
from tests.fixtures.databases import _create_database, _drop_database, _require_postgres
from tests.fixtures.databases import _worker_database_name as worker_database_name
from tests.fixtures.orders import order_payload
from tests.fixtures.tenants import make_tenant, stock_up

pytestmark = pytest.mark.postgres

SKU = "REPLICA-1"


@pytest.fixture
def replica(worker_id_name: str) -> Iterator[Engine]:
    admin_url = _require_postgres()
    name = worker_database_name(worker_id_name) + "_replica"
    _drop_database(admin_url, name)
    engine = make_engine(_create_database(admin_url, name))
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        _drop_database(admin_url, name)


def test_commands_never_read_the_replica_and_lists_do(
    pg_db: Database, replica: Engine, clock: ManualClock
) -> None:
    db = Database(pg_db.engine, clock, replica=replica)
    tenant = make_tenant(db, name="Replica Shop", stocked=False)
    stock_up(db, tenant, SKU, 5)
    app = create_app(Settings(env="test", embedded_worker=False), db=db, run_worker=False)
    body = order_payload(lines=[{"sku": SKU, "name": "副本", "qty": 2, "unit_price": 990}])
    with TestClient(app, raise_server_exceptions=False) as client:
        placed = client.post("/api/v1/orders", json=body, headers=tenant.headers())
        assert placed.status_code == 201, placed.text
        order_id = placed.json()["id"]
        paid = client.post(
            f"/api/v1/orders/{order_id}/events", json={"event": "pay"}, headers=tenant.headers()
        )
        assert paid.status_code == 200, paid.text
        order = client.get(f"/api/v1/orders/{order_id}", headers=tenant.headers())
        assert order.json()["status"] == "paid"  # a single read is the primary's
        ledger = client.get(f"/api/v1/stock/{SKU}/ledger", headers=tenant.headers())
        assert ledger.status_code == 200, ledger.text
        assert ledger.json()["items"] == []  # the replica has not seen the movements yet
    on_primary = queries.ledger(pg_db, tenant.tenant_id, SKU, limit=50)
    assert {entry.kind for entry in on_primary} >= {"inbound", "reserve"}


def test_without_a_replica_lists_read_the_primary(db: Database) -> None:
    assert db.replica is None
    with db.list_reader() as session:
        assert session.get_bind().pool is db.engine.pool  # the primary (with read options)


def test_the_replica_comes_from_the_setting(replica: Engine) -> None:
    primary_url = replica.url.render_as_string(hide_password=False)
    settings = Settings(database_url=primary_url, read_database_url=primary_url)
    configured = configured_database(settings, ManualClock())
    try:
        assert configured.replica is not None
        assert configured.replica is not configured.engine
    finally:
        configured.dispose()
    assert configured_database(Settings(database_url=primary_url), ManualClock()).replica is None
