"""Fixtures of the payment tests: a gateway on 127.0.0.1, configured tenants, a job runner."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from oms.config import Settings
from oms.core.clock import ManualClock
from oms.core.uow import Database
from tests.fixtures.jobs import app_worker
from tests.fixtures.orders import order_payload
from tests.fixtures.tenants import TenantKeys

MAX_ATTEMPTS = 3
QUERY_TIMEOUT = 0.5


@pytest.fixture
def order(client: TestClient, configured: TenantKeys) -> dict[str, str]:
    """A pending order of the configured tenant: its id and number."""
    created = client.post("/api/v1/orders", json=order_payload(), headers=configured.headers())
    assert created.status_code == 201
    return {"id": created.json()["id"], "order_no": created.json()["order_no"]}


@pytest.fixture
def run_jobs(db: Database, clock: ManualClock) -> Callable[..., int]:
    """Run every due job (a few rounds); ``later`` first moves the clock past any backoff."""
    settings = Settings(env="test", job_max_attempts=MAX_ATTEMPTS, job_backoff_base_seconds=1)
    worker = app_worker(db, settings, payment_query_timeout=QUERY_TIMEOUT)

    def run(*, later: bool = False) -> int:
        if later:
            clock.advance(timedelta(seconds=30))
        total = 0
        for _ in range(5):
            processed = worker.run_once()
            total += processed
            if processed == 0:
                break
        return total

    return run
