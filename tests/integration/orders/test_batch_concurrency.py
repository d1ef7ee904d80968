"""Two integrators' nightly syncs overlap: each order is created once (issue 17, batch sync)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from oms.core.uow import Database
from oms.orders.models import Order
from tests.fixtures.orders import order_payload
from tests.fixtures.server import live_server
from tests.fixtures.tenants import TenantKeys, make_tenant

ORDERS = 60


def _batch(first: int, last: int) -> dict[str, Any]:
    return {
        "orders": [
            order_payload(channel="shopify", external_id=f"S-{n:04d}") for n in range(first, last)
        ]
    }


def _post_together(base_url: str, tenant: TenantKeys, bodies: list[dict[str, Any]]) -> list[Any]:
    barrier = threading.Barrier(len(bodies))
    answers: list[Any] = [None] * len(bodies)

    def client(index: int) -> None:
        with httpx.Client(base_url=base_url, timeout=120) as http:
            barrier.wait()
            answers[index] = http.post(
                "/api/v1/orders/batch", json=bodies[index], headers=tenant.headers()
            )

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@pytest.mark.postgres
def test_overlapping_batches_from_two_clients_create_each_order_once(pg_db: Database) -> None:
    tenant = make_tenant(pg_db)
    # Both carry the middle third; the second sends it in the opposite order, so the two
    # clients meet on the same external ids at the same time from both ends.
    one = _batch(0, 2 * ORDERS // 3)
    two = _batch(ORDERS // 3, ORDERS)
    two["orders"].reverse()
    with live_server(pg_db) as base_url:
        answers = _post_together(base_url, tenant, [one, two])
    assert [a.status_code for a in answers] == [200, 200]
    ids: dict[str, set[str]] = {}
    statuses: Counter[int] = Counter()
    for body, answer in zip((one, two), answers, strict=True):
        for item, result in zip(body["orders"], answer.json()["results"], strict=True):
            statuses[result["status"]] += 1
            ids.setdefault(item["external_id"], set()).add(result["order_id"])
    assert all(len(found) == 1 for found in ids.values()), ids  # both told of one order
    assert statuses == Counter({201: ORDERS, 200: ORDERS // 3})
    with pg_db.reader() as session:
        count = session.scalar(
            select(func.count()).select_from(Order).where(Order.tenant_id == tenant.tenant_id)
        )
    assert count == ORDERS
