"""Exception tickets over HTTP: a shortage opens one; it is assigned, discussed, resolved."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from oms.core.clock import ManualClock
from oms.core.uow import Database
from tests.fixtures.jobs import app_worker
from tests.fixtures.orders import order_payload
from tests.fixtures.tenants import make_tenant

SKU = "SCARCE"


def _shortage_ticket(client: TestClient, db: Database, clock: ManualClock) -> tuple[Any, str]:
    """A paid order whose hold lapsed and whose unit was sold meanwhile."""
    shop = make_tenant(db, name="Ticket Shop", stocked=False, payment_timeout_seconds=3600)
    client.post(
        "/api/v1/stock/movements",
        json={"sku": SKU, "kind": "inbound", "qty": 1},
        headers=shop.headers("warehouse"),
    )
    body = order_payload(lines=[{"sku": SKU, "name": "x", "qty": 1, "unit_price": 500}])
    late = client.post("/api/v1/orders", json=body, headers=shop.headers()).json()
    clock.advance(timedelta(minutes=20))
    client.post("/api/v1/orders", json=body, headers=shop.headers())
    paid = client.post(
        f"/api/v1/orders/{late['id']}/events", json={"event": "pay"}, headers=shop.headers()
    )
    assert paid.json()["order"]["exception_code"] == "stock_shortage"
    app_worker(db).run_once()
    (ticket,) = client.get("/api/v1/tickets", headers=shop.headers("ops")).json()["items"]
    return shop, ticket["id"]


def test_a_shortage_ticket_is_assigned_commented_and_resolved_with_a_correction(
    client: TestClient, db: Database, clock: ManualClock
) -> None:
    shop, ticket_id = _shortage_ticket(client, db, clock)
    url = f"/api/v1/tickets/{ticket_id}"
    assigned = client.post(f"{url}/assign", json={"assignee": "小王"}, headers=shop.headers("ops"))
    assert assigned.json()["status"] == "assigned"
    client.post(f"{url}/comments", json={"body": "补货中"}, headers=shop.headers("warehouse"))
    correction = {"sku": SKU, "kind": "inbound", "qty": 1, "reason": "emergency restock"}
    resolved = client.post(
        f"{url}/resolve",
        json={"resolution": "restocked", "corrections": [correction]},
        headers=shop.headers("warehouse"),
    )
    assert resolved.status_code == 200
    body = resolved.json()
    assert body["status"] == "resolved" and len(body["comments"]) == 3
    ledger = client.get(f"/api/v1/stock/{SKU}/ledger", headers=shop.headers()).json()["items"]
    assert (ledger[0]["kind"], ledger[0]["ref_id"]) == ("inbound", f"ticket:{ticket_id}")
    again = client.post(f"{url}/resolve", json={"resolution": "x"}, headers=shop.headers("ops"))
    assert (again.status_code, again.json()["code"]) == (409, "ERR_TICKET_INVALID_TRANSITION")


def test_a_role_that_cannot_write_stock_cannot_resolve_with_corrections(
    client: TestClient, db: Database, clock: ManualClock
) -> None:
    shop, ticket_id = _shortage_ticket(client, db, clock)
    correction = {"sku": SKU, "kind": "inbound", "qty": 1}
    response = client.post(
        f"/api/v1/tickets/{ticket_id}/resolve",
        json={"resolution": "x", "corrections": [correction]},
        headers=shop.headers("service"),
    )
    assert response.status_code == 403
    assert (
        client.get(f"/api/v1/tickets/{ticket_id}", headers=shop.headers()).json()["status"]
        == "open"
    )


def test_another_tenants_ticket_is_a_404(
    client: TestClient, db: Database, clock: ManualClock
) -> None:
    _, ticket_id = _shortage_ticket(client, db, clock)
    stranger = make_tenant(db, name="Stranger", stocked=False)
    response = client.get(f"/api/v1/tickets/{ticket_id}", headers=stranger.headers())
    assert (response.status_code, response.json()["code"]) == (404, "ERR_TICKET_NOT_FOUND")
