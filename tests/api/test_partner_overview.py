"""The partner overview (issue 17): per tenant, sync lag, webhook health findings, dead jobs and
open exception tickets, for the partner's own tenants only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from oms.core import outbox, partners
from oms.core.clock import ManualClock
from oms.core.models import OutboxMessage
from oms.core.outbox import MessageStatus
from oms.core.uow import Database
from oms.tickets import service as tickets
from oms.tickets.states import TicketKind
from tests.fixtures.channel_deliveries import SHOPIFY_SECRET, sample, shopify
from tests.fixtures.jobs import Probe
from tests.fixtures.tenants import TenantKeys

TENANTS = "/api/v1/tenants"
OVERVIEW = "/api/v1/partner/overview"


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _shop(client: TestClient, partner_key: str, name: str) -> dict[str, Any]:
    made = client.post(TENANTS, json={"name": name}, headers=_bearer(partner_key)).json()
    put = client.put(
        "/api/v1/channels/shopify",
        json={"secret": SHOPIFY_SECRET},
        headers=_bearer(made["api_key"]),
    )
    assert put.status_code == 200, put.text
    return made


def _deliver(client: TestClient, tenant_id: str, webhook_id: str, **signing: Any) -> int:
    headers, body = shopify(sample("shopify_orders_create.json"), webhook_id=webhook_id, **signing)
    path = f"/api/v1/channels/shopify/webhooks/{tenant_id}"
    return client.post(path, content=body, headers=headers).status_code


def test_the_overview_shows_a_lagging_tenant_its_dead_jobs_tickets_and_findings(
    client: TestClient, db: Database, clock: ManualClock, tenant: TenantKeys
) -> None:
    key = partners.create_partner(db, name="SyncBridge").partner_key
    quiet = _shop(client, key, "Quiet Tea")["tenant_id"]
    busy = _shop(client, key, "Busy Tea")["tenant_id"]
    never = client.post(TENANTS, json={"name": "New Shop"}, headers=_bearer(key)).json()
    assert _deliver(client, quiet, "q-1") == 200
    clock.advance(timedelta(hours=2))
    assert _deliver(client, busy, "b-1") == 200
    for n in range(3):  # forged deliveries: the health check's signature finding
        assert _deliver(client, busy, f"forged-{n}", secret="not-the-secret") == 401
    before = {r["tenant_id"]: r for r in client.get(OVERVIEW, headers=_bearer(key)).json()["items"]}
    with db.uow() as uow:
        outbox.add(uow, Probe(tenant_id=quiet, n=1))
        uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.tenant_id == quiet, OutboxMessage.topic == Probe.topic)
            .values(status=MessageStatus.DEAD)
        )
        tickets.open_ticket(
            uow,
            tenant_id=quiet,
            kind=TicketKind.STOCK_SHORTAGE,
            order_id=None,
            assignee_role="ops",
            title_code="stock_shortage",
            title_params={"order_no": "short"},
            details={},
            now=uow.clock.now(),
        )
        uow.commit()

    answer = client.get(OVERVIEW, headers=_bearer(key))
    assert answer.status_code == 200, answer.text
    rows = {row["tenant_id"]: row for row in answer.json()["items"]}
    assert list(rows) == [quiet, busy, never["tenant_id"]]  # oldest first; not `tenant`
    assert rows[quiet]["is_lagging"] is True
    assert rows[quiet]["sync_lag_seconds"] == 7200
    was = before[quiet]
    assert rows[quiet]["dead_jobs"] == was["dead_jobs"] + 1 == 1
    assert rows[quiet]["open_tickets"] == was["open_tickets"] + 1
    assert rows[busy]["is_lagging"] is False and rows[busy]["sync_lag_seconds"] == 0
    assert rows[busy]["dead_jobs"] == 0
    assert {(f["channel"], f["severity"]) for f in rows[busy]["findings"]} >= {
        ("shopify", "critical")
    }
    fresh = rows[never["tenant_id"]]
    assert (fresh["last_delivery_at"], fresh["sync_lag_seconds"], fresh["is_lagging"]) == (
        None,
        None,
        False,
    )
    # The threshold is the partner's to choose.
    relaxed = client.get(OVERVIEW, params={"lag_threshold_seconds": 3 * 3600}, headers=_bearer(key))
    assert not any(row["is_lagging"] for row in relaxed.json()["items"])


def test_the_overview_pages_and_is_only_for_partner_keys(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    key = partners.create_partner(db, name="SyncBridge").partner_key
    made = [
        client.post(TENANTS, json={"name": f"Shop {i}"}, headers=_bearer(key)).json()["tenant_id"]
        for i in range(3)
    ]
    first = client.get(OVERVIEW, params={"limit": 2}, headers=_bearer(key)).json()
    second = client.get(
        OVERVIEW, params={"limit": 2, "cursor": first["next_cursor"]}, headers=_bearer(key)
    ).json()
    assert [r["tenant_id"] for r in first["items"] + second["items"]] == made
    assert second["has_more"] is False
    refused = client.get(OVERVIEW, headers=tenant.headers())
    assert (refused.status_code, refused.json()["code"]) == (403, "ERR_PARTNER_KEY_REQUIRED")
    bad = client.get(OVERVIEW, params={"lag_threshold_seconds": 0}, headers=_bearer(key))
    assert (bad.status_code, bad.json()["code"]) == (422, "ERR_VALIDATION")
    forged = client.get(OVERVIEW, params={"cursor": "not-a-cursor"}, headers=_bearer(key))
    assert (forged.status_code, forged.json()["code"]) == (422, "ERR_VALIDATION")
