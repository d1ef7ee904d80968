"""Concurrent writers against one order, through real HTTP and real connections."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import httpx
import pytest

from oms.core.uow import Database
from oms.orders import service
from tests.fixtures.orders import order_create
from tests.fixtures.server import live_server
from tests.fixtures.tenants import TenantKeys, make_tenant

CLIENTS = 20


def _race(base_url: str, tenant: TenantKeys, order_id: str) -> list[httpx.Response]:
    """Twenty clients, half paying and half cancelling, released at the same instant."""
    barrier = threading.Barrier(CLIENTS)
    responses: list[httpx.Response] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        event = "pay" if index % 2 == 0 else "cancel"
        body: dict[str, Any] = {"event": event, "expected_version": 1, "source": f"client-{index}"}
        with httpx.Client(base_url=base_url, timeout=30) as http:
            barrier.wait()
            response = http.post(
                f"/api/v1/orders/{order_id}/events", json=body, headers=tenant.headers()
            )
        with lock:
            responses.append(response)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def _classify(response: httpx.Response) -> str:
    body = response.json()
    if response.status_code == 200:
        return "duplicate" if body["duplicate"] else body["outcome"]
    return str(body["code"])


def _assert_one_winner(db: Database, base_url: str) -> None:
    tenant = make_tenant(db)
    order = service.place_order(db, tenant.actor(), order_create()).order
    outcomes = Counter(_classify(r) for r in _race(base_url, tenant, order.id))
    assert outcomes["applied"] == 1, outcomes
    assert set(outcomes) <= {
        "applied",
        "duplicate",
        "ERR_ORDER_VERSION_MISMATCH",
        "ERR_ORDER_ILLEGAL_TRANSITION",
    }, outcomes
    with httpx.Client(base_url=base_url) as http:
        final = http.get(f"/api/v1/orders/{order.id}", headers=tenant.headers()).json()
        timeline = http.get(f"/api/v1/orders/{order.id}/timeline", headers=tenant.headers()).json()[
            "items"
        ]
    assert final["version"] == 2 and final["status"] in {"paid", "cancelled"}
    attempts = [e for e in timeline if e["event"] != "create"]
    assert len(attempts) == CLIENTS
    assert Counter(e["outcome"] for e in attempts)["applied"] == 1


@pytest.mark.postgres
def test_twenty_concurrent_pay_and_cancel_requests_have_exactly_one_winner_on_postgres(
    pg_db: Database,
) -> None:
    with live_server(pg_db) as base_url:
        _assert_one_winner(pg_db, base_url)


def test_twenty_concurrent_pay_and_cancel_requests_have_exactly_one_winner(db: Database) -> None:
    """The same race on whichever backend ``db`` is (SQLite serialises writers)."""
    with live_server(db) as base_url:
        _assert_one_winner(db, base_url)
