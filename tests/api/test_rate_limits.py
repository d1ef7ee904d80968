"""Rate limits (issue 17): per tenant and per key on the API, counted in the database so that
every process agrees; a platform delivery past the intake limit is stored and processed later,
never refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from oms.app import create_app
from oms.config import Settings
from oms.core import partners
from oms.core.clock import ManualClock
from oms.core.models import InboxMessage
from oms.core.uow import Database
from tests.fixtures.channel_deliveries import SHOPIFY_SECRET, sample, shopify
from tests.fixtures.jobs import app_worker
from tests.fixtures.tenants import TenantKeys

ORDERS = "/api/v1/orders"


def _client(db: Database, **limits: str) -> TestClient:
    settings = Settings(env="test", embedded_worker=False, **limits)  # type: ignore[arg-type]
    return TestClient(create_app(settings, db=db, run_worker=False), raise_server_exceptions=False)


@pytest.fixture
def limited(db: Database) -> Iterator[TestClient]:
    with _client(db, api_rate_limit_per_key="3/minute", api_rate_limit_per_tenant="5/minute") as c:
        yield c


def test_a_burst_past_a_keys_limit_gets_429_with_retry_after(
    limited: TestClient, tenant: TenantKeys, clock: ManualClock
) -> None:
    answers = [limited.get(ORDERS, headers=tenant.headers("ops")) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "ERR_RATE_LIMITED"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    # Another key of the tenant has a count of its own (the tenant's limit is 5).
    assert limited.get(ORDERS, headers=tenant.headers("finance")).status_code == 200
    clock.advance(timedelta(seconds=61))
    assert limited.get(ORDERS, headers=tenant.headers("ops")).status_code == 200


def test_every_key_of_a_tenant_counts_against_the_tenants_limit(
    limited: TestClient, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    statuses = [
        limited.get(ORDERS, headers=tenant.headers(role)).status_code
        for role in ("ops", "ops", "finance", "finance", "service", "service")
    ]
    assert statuses == [200] * 5 + [429]
    # Another tenant is not held back by this one.
    assert limited.get(ORDERS, headers=other_tenant.headers("ops")).status_code == 200


def test_two_processes_on_one_database_share_the_count(db: Database, tenant: TenantKeys) -> None:
    with (
        _client(db, api_rate_limit_per_key="2/minute") as one,
        _client(db, api_rate_limit_per_key="2/minute") as two,
    ):
        assert one.get(ORDERS, headers=tenant.headers("ops")).status_code == 200
        assert two.get(ORDERS, headers=tenant.headers("ops")).status_code == 200
        assert one.get(ORDERS, headers=tenant.headers("ops")).status_code == 429
        assert two.get(ORDERS, headers=tenant.headers("ops")).status_code == 429


def test_a_partner_key_counts_once_across_its_tenants(db: Database) -> None:
    key = partners.create_partner(db, name="SyncBridge").partner_key
    bearer = {"Authorization": f"Bearer {key}"}
    with _client(db, api_rate_limit_per_key="3/minute") as client:
        made = [
            client.post("/api/v1/tenants", json={"name": f"Shop {i}"}, headers=bearer)
            for i in range(2)
        ]
        assert [m.status_code for m in made] == [201, 201]
        acting = {**bearer, "OMS-Tenant": made[1].json()["tenant_id"]}
        assert client.get(ORDERS, headers=acting).status_code == 200
        refused = client.get("/api/v1/tenants", headers=bearer)
        assert (refused.status_code, refused.json()["code"]) == (429, "ERR_RATE_LIMITED")


def test_a_request_without_a_valid_key_is_not_counted(limited: TestClient) -> None:
    for _ in range(5):
        assert limited.get(ORDERS).status_code == 401


def test_a_delivery_past_the_intake_limit_is_stored_and_processed_later(
    db: Database, tenant: TenantKeys, clock: ManualClock
) -> None:
    with _client(db, intake_rate_limit_per_tenant="1/minute") as client:
        configured = client.put(
            "/api/v1/channels/shopify", json={"secret": SHOPIFY_SECRET}, headers=tenant.headers()
        )
        assert configured.status_code == 200, configured.text
        path = f"/api/v1/channels/shopify/webhooks/{tenant.tenant_id}"
        first = sample("shopify_orders_create.json")
        second = first | {"id": first["id"] + 1, "name": "#9999"}
        answers = []
        for n, payload in enumerate((first, second)):
            headers, body = shopify(payload, webhook_id=f"w-{n}")
            answers.append(client.post(path, content=body, headers=headers))
        assert [a.status_code for a in answers] == [200, 200]
        assert answers[1].json()["status"] == "deferred"
        with db.reader() as session:
            stored = {
                m.message_id: m.processed_at
                for m in session.scalars(
                    select(InboxMessage).where(InboxMessage.tenant_id == tenant.tenant_id)
                )
            }
        assert set(stored) == {"w-0", "w-1"}
        assert stored["w-0"] is not None and stored["w-1"] is None
        worker = app_worker(db)
        worker.run_once()  # the deferred job is not due before the window ends
        orders = client.get(ORDERS, headers=tenant.headers()).json()["items"]
        assert len(orders) == 1
        clock.advance(timedelta(seconds=61))
        worker.run_once()
        orders = client.get(ORDERS, headers=tenant.headers()).json()["items"]
        assert len(orders) == 2
        with db.reader() as session:
            processed = session.scalar(
                select(InboxMessage.processed_at).where(
                    InboxMessage.tenant_id == tenant.tenant_id, InboxMessage.message_id == "w-1"
                )
            )
        assert processed is not None
