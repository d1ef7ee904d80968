"""Vouchers and feedback reuse the refund fixtures: the local gateway and the job runner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.fixtures.tenants import TenantKeys
from tests.integration.refunds.conftest import (  # noqa: F401 - fixtures
    approve,
    channel_paid_order,
    refund,
    request,
    run_jobs,
)


def refunded(
    client: TestClient, tenant: TenantKeys, jobs: Callable[..., int], amount: int = 1000
) -> dict[str, Any]:
    """A refund of a channel-paid order, approved and executed: status refunded."""
    order = channel_paid_order(client, tenant)
    asked = request(client, tenant, order_id=order["id"], amount=amount)
    assert asked.status_code == 201, asked.text
    assert approve(client, tenant, asked.json()["id"]).status_code == 200
    jobs()
    done = refund(client, tenant, asked.json()["id"])
    assert done["status"] == "refunded", done
    return done
