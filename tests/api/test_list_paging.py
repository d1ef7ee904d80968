"""Every list route pages through core/paging: walked page by page, each row comes once.

The manual clock stands still, so most seeded rows share a timestamp and the id tie-break
decides their order: a page boundary inside equal timestamps must neither skip nor repeat.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from oms.alerts import service as alerts
from oms.core import jobs, outbox
from oms.core.clock import ManualClock
from oms.core.paging import encode_cursor
from oms.core.uow import Database
from oms.inventory import queries as stock
from oms.orders import queries as orders
from oms.tickets import service as tickets
from oms.tickets.states import TicketKind
from oms.webhooks import queries as webhook_queries
from oms.webhooks import service as webhooks
from oms.webhooks.models import WebhookDelivery
from oms.webhooks.schemas import SubscriptionIn
from tests.fixtures.jobs import Probe
from tests.fixtures.orders import order_payload
from tests.fixtures.paging import walk
from tests.fixtures.tenants import TenantKeys

SKU = "TEA-LJ-250"


def _ids(items: list[dict[str, Any]], key: str = "id") -> list[str]:
    return [str(item[key]) for item in items]


def _order(client: TestClient, tenant: TenantKeys, **overrides: Any) -> str:
    response = client.post(
        "/api/v1/orders", json=order_payload(**overrides), headers=tenant.headers()
    )
    assert response.status_code == 201, response.text
    order_id: str = response.json()["id"]
    return order_id


def test_tickets_page_oldest_first(
    client: TestClient, db: Database, clock: ManualClock, tenant: TenantKeys
) -> None:
    with db.uow() as uow:
        for i in range(5):
            tickets.open_ticket(
                uow,
                tenant_id=tenant.tenant_id,
                kind=TicketKind.PAYMENT_MISMATCH,
                order_id=None,
                assignee_role="ops",
                title_code="payment_mismatch",
                title_params={"order_no": f"t{i}"},
                details={},
                now=clock.now(),
            )
        uow.commit()
    seen, flags = walk(client, "/api/v1/tickets", tenant.headers())
    every = [t.id for t in tickets.list_tickets(db, tenant.tenant_id, limit=500)]
    assert _ids(seen) == every and len(every) == 5
    assert flags == [True, True, False]
    kinds, _ = walk(client, "/api/v1/tickets", tenant.headers(), params={"kind": "refund_mismatch"})
    assert kinds == []  # the filters still apply


def test_jobs_page_newest_first(client: TestClient, db: Database, tenant: TenantKeys) -> None:
    with db.uow() as uow:
        for i in range(5):
            outbox.add(uow, Probe(tenant_id=tenant.tenant_id, n=i))
        uow.commit()
    seen, _ = walk(client, "/api/v1/jobs", tenant.headers("ops"))
    every = jobs.list_jobs(db, tenant_id=tenant.tenant_id, limit=500)
    assert sorted(_ids(seen)) == sorted(j.id for j in every) and len(set(_ids(seen))) == len(seen)
    assert len([j for j in seen if j["topic"] == Probe.topic]) == 5
    created = [j["created_at"] for j in seen]
    assert created == sorted(created, reverse=True)


def test_webhook_subscriptions_and_deliveries_page(
    client: TestClient, db: Database, clock: ManualClock, tenant: TenantKeys
) -> None:
    subscribed = [
        webhooks.create_subscription(
            db,
            tenant.actor(),
            SubscriptionIn(url=f"http://127.0.0.1:9/hook/{i}", event_types=["order.created"]),
            allow_private=True,
        ).id
        for i in range(5)
    ]
    seen, flags = walk(client, "/api/v1/webhooks/subscriptions", tenant.headers())
    assert _ids(seen) == [s.id for s in webhook_queries.list_subscriptions(db, tenant.tenant_id)]
    assert sorted(_ids(seen)) == sorted(subscribed) and flags == [True, True, False]
    with db.uow() as uow:
        for i in range(5):
            uow.session.add(
                WebhookDelivery(
                    tenant_id=tenant.tenant_id,
                    id=f"00000000-0000-0000-0000-00000000000{i}",
                    subscription_id=subscribed[0],
                    event_id=f"event-{i}",
                    event_type="order.created",
                    body="{}",
                    status="succeeded",
                    attempts=1,
                    round_attempts=1,
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
            )
        uow.commit()
    sent, _ = walk(
        client,
        "/api/v1/webhooks/deliveries",
        tenant.headers(),
        params={"subscription_id": subscribed[0]},
    )
    assert _ids(sent) == [f"00000000-0000-0000-0000-00000000000{i}" for i in (4, 3, 2, 1, 0)]


def test_the_stock_ledger_pages_newest_first(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    for _ in range(4):
        moved = client.post(
            "/api/v1/stock/movements",
            json={"sku": SKU, "kind": "inbound", "qty": 1},
            headers=tenant.headers("warehouse"),
        )
        assert moved.status_code in (200, 201), moved.text
    seen, _ = walk(client, f"/api/v1/stock/{SKU}/ledger", tenant.headers())
    every = stock.ledger(db, tenant.tenant_id, SKU, limit=500)
    assert _ids(seen) == [e.id for e in every] and len(every) >= 5


def test_warehouses_page_by_priority_then_code(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    for code in ("d", "b", "c", "a"):
        created = client.post(
            "/api/v1/warehouses",
            json={"code": code, "name": code, "priority": 5},
            headers=tenant.headers("ops"),
        )
        assert created.status_code == 201, created.text
    seen, flags = walk(client, "/api/v1/warehouses", tenant.headers())
    assert _ids(seen, "code") == [w.code for w in stock.warehouses(db, tenant.tenant_id)]
    assert _ids(seen, "code")[-4:] == ["a", "b", "c", "d"] and flags == [True, True, False]


def test_an_orders_timeline_shipments_and_holds_page(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    lines = [
        {"sku": "TEA-LJ-250", "name": "龙井", "qty": 3, "unit_price": 100},
        {"sku": "CUP-GLS-300", "name": "杯", "qty": 1, "unit_price": 100},
    ]
    order_id = _order(client, tenant, lines=lines)
    url = f"/api/v1/orders/{order_id}"
    for _ in range(3):  # one applied, two duplicates: every attempt is on the timeline
        client.post(f"{url}/events", json={"event": "pay"}, headers=tenant.headers())
    for n in range(3):
        shipped = client.post(
            "/api/v1/shipments",
            json={
                "order_id": order_id,
                "warehouse": "main",
                "carrier": "SF",
                "tracking_no": f"SF00000000{n}",
                "lines": [{"sku": "TEA-LJ-250", "qty": 1}],
                "is_final": False,
            },
            headers=tenant.headers("warehouse"),
        )
        assert shipped.status_code == 201, shipped.text
    timeline, _ = walk(client, f"{url}/timeline", tenant.headers())
    every = orders.order_timeline(db, tenant.tenant_id, order_id)
    assert _ids(timeline) == [e.id for e in every] and len(every) >= 5
    parcels, flags = walk(client, f"{url}/shipments", tenant.headers())
    assert _ids(parcels, "tracking_no") == ["SF000000000", "SF000000001", "SF000000002"]
    assert flags == [True, False]
    holds, flags = walk(client, f"{url}/reservations", tenant.headers(), limit=1)
    assert _ids(holds) == [h.id for h in stock.order_reservations(db, tenant.tenant_id, order_id)]
    assert len(holds) == 2 and flags == [True, False]


def test_alert_routes_page(client: TestClient, db: Database, tenant: TenantKeys) -> None:
    routes = [
        {"alert_type": "*", "channel": "email", "email": f"ops{i}@example.com"} for i in range(3)
    ]
    put = client.put("/api/v1/alerts/routes", json={"routes": routes}, headers=tenant.headers())
    assert put.status_code == 200, put.text
    seen, flags = walk(client, "/api/v1/alerts/routes", tenant.headers())
    assert _ids(seen) == [r.id for r in alerts.list_routes(db, tenant.tenant_id)]
    assert len(seen) == 3 and flags == [True, False]


ORDER_LISTS = ("timeline", "shipments", "reservations")
LISTS = (
    "/api/v1/tickets",
    "/api/v1/refunds",
    "/api/v1/jobs",
    "/api/v1/api-keys",
    "/api/v1/webhooks/subscriptions",
    "/api/v1/webhooks/deliveries",
    f"/api/v1/stock/{SKU}/ledger",
    "/api/v1/warehouses",
    "/api/v1/alerts/routes",
)


@pytest.mark.parametrize("cursor", ["forged!", "eyJub3QiOiJhIGN1cnNvciJ9", "x" * 513])
def test_a_forged_cursor_is_a_validation_error_on_every_list(
    client: TestClient, tenant: TenantKeys, cursor: str
) -> None:
    order_id = _order(client, tenant)
    urls = [*LISTS, *(f"/api/v1/orders/{order_id}/{name}" for name in ORDER_LISTS)]
    for url in urls:
        response = client.get(url, params={"cursor": cursor}, headers=tenant.headers())
        assert response.status_code == 422, (url, response.text)
        assert response.json()["code"] == "ERR_VALIDATION", url


def test_a_cursor_made_by_another_list_is_refused(client: TestClient, tenant: TenantKeys) -> None:
    first, second = _order(client, tenant), _order(client, tenant)
    client.post(f"/api/v1/orders/{first}/events", json={"event": "pay"}, headers=tenant.headers())
    page = client.get(
        f"/api/v1/orders/{first}/timeline", params={"limit": "1"}, headers=tenant.headers()
    ).json()
    assert page["has_more"] is True
    other_order = client.get(
        f"/api/v1/orders/{second}/timeline",
        params={"cursor": page["next_cursor"]},
        headers=tenant.headers(),
    )
    assert other_order.status_code == 422
    tickets_cursor = encode_cursor("tickets", ["2026-01-01T00:00:00+00:00", "x"])
    jobs_list = client.get(
        "/api/v1/jobs", params={"cursor": tickets_cursor}, headers=tenant.headers()
    )
    assert jobs_list.status_code == 422


@pytest.mark.parametrize("limit", ["0", "201"])
def test_a_limit_outside_one_to_two_hundred_is_refused(
    client: TestClient, tenant: TenantKeys, limit: str
) -> None:
    for url in LISTS:
        response = client.get(url, params={"limit": limit}, headers=tenant.headers())
        assert response.status_code == 422, (url, response.text)
