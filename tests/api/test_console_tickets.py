"""The console's exception tickets: the queue, one ticket, assign, comment, resolve; and the
stock-shortage warning on the order's page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from oms.core.clock import ManualClock
from oms.core.uow import Database
from tests.fixtures.jobs import app_worker
from tests.fixtures.orders import order_payload
from tests.fixtures.tenants import TenantKeys, make_tenant
from tests.fixtures.users import console_user, log_in

SKU = "SCARCE"


def _shortage(client: TestClient, db: Database, clock: ManualClock) -> tuple[TenantKeys, str]:
    """A paid order whose hold lapsed and whose unit was sold meanwhile; returns its id."""
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
    client.post(
        f"/api/v1/orders/{late['id']}/events", json={"event": "pay"}, headers=shop.headers()
    )
    app_worker(db).run_once()
    return shop, str(late["id"])


def _ticket_id(client: TestClient, shop: TenantKeys) -> str:
    (ticket,) = client.get("/api/v1/tickets", headers=shop.headers()).json()["items"]
    return str(ticket["id"])


def _post(client: TestClient, url: str, csrf: str, **fields: str) -> Any:
    return client.post(url, data={"csrf_token": csrf, **fields}, follow_redirects=False)


def _listed(client: TestClient, **params: str) -> list[str]:
    html = client.get("/console/tickets", params=params).text
    return re.findall(r'<tr data-ticket-id="([^"]+)"', html)


def test_the_order_page_warns_of_a_stock_shortage_and_links_its_ticket(
    client: TestClient, db: Database, clock: ManualClock
) -> None:
    shop, order_id = _shortage(client, db, clock)
    ticket_id = _ticket_id(client, shop)
    log_in(client, console_user(db, shop.tenant_id, "service"))
    page = client.get(f"/console/orders/{order_id}").text
    assert 'data-exception="stock_shortage"' in page and "库存不足" in page
    assert f'href="/console/tickets/{ticket_id}"' in page
    assert f"/console/tickets?order_id={order_id}&amp;status=all" in page
    assert 'data-status="expired"' in page and "已超时释放" in page  # the hold that lapsed
    assert _listed(client, order_id=order_id, status="all") == [ticket_id]


def test_the_queue_shows_unresolved_tickets_oldest_first_with_their_age(
    client: TestClient, db: Database, clock: ManualClock
) -> None:
    shop, _ = _shortage(client, db, clock)
    ticket_id = _ticket_id(client, shop)
    clock.advance(timedelta(hours=3, minutes=5))
    log_in(client, console_user(db, shop.tenant_id, "finance"))
    html = client.get("/console/tickets").text
    assert 'data-nav="tickets"' in html and "异常工单" in html
    row = html.split(f'<tr data-ticket-id="{ticket_id}"', 1)[1].split("</tr>", 1)[0]
    assert "3 小时" in row and "库存不足" in row and "待处理" in row and "运营" in row
    assert _listed(client, kind="stock_shortage") == [ticket_id]
    assert _listed(client, kind="fulfilment_mismatch") == []
    assert _listed(client, status="resolved") == []
    detail = client.get(f"/console/tickets/{ticket_id}").text
    assert 'id="short-lines"' in detail and f'<tr data-sku="{SKU}">' in detail
    short_row = detail.split(f'<tr data-sku="{SKU}">', 1)[1].split("</tr>", 1)[0]
    assert 'data-field="short">1<' in short_row  # the one unit the lapsed hold lost
    assert 'id="assign"' not in detail and 'id="resolve"' not in detail  # finance reads only


def test_a_ticket_is_assigned_commented_and_resolved_with_a_stock_correction(
    client: TestClient, db: Database, clock: ManualClock
) -> None:
    shop, _ = _shortage(client, db, clock)
    ticket_id = _ticket_id(client, shop)
    url = f"/console/tickets/{ticket_id}"
    user = console_user(db, shop.tenant_id, "ops")
    csrf = log_in(client, user)
    picker = client.get(url).text.split('id="assign"', 1)[1].split("</section>", 1)[0]
    assert f'<option value="{user.email}"' in picker and "运营" in picker  # tenant users
    stranger = _post(client, f"{url}/assign", csrf, assignee="小王")
    assert stranger.headers["location"] == f"{url}?error=ERR_VALIDATION"
    assigned = _post(client, f"{url}/assign", csrf, assignee=user.email)
    assert assigned.headers["location"] == f"{url}?done=assigned"
    page = client.get(assigned.headers["location"]).text
    assert 'data-ticket-status="assigned"' in page and user.email in page and "已指派" in page
    commented = _post(client, f"{url}/comments", csrf, body="补货中")
    assert "补货中" in client.get(commented.headers["location"]).text
    correction = {"sku": SKU, "warehouse": "main", "kind": "inbound", "qty": "3"}
    resolved = _post(client, f"{url}/resolve", csrf, resolution="已补货", **correction)
    assert resolved.headers["location"] == f"{url}?done=resolved"
    page = client.get(resolved.headers["location"]).text
    assert 'data-ticket-status="resolved"' in page and "工单已处理完成" in page
    assert 'id="resolve"' not in page and f"user:{user.id}" in page
    ledger = client.get(f"/api/v1/stock/{SKU}/ledger", headers=shop.headers()).json()["items"]
    assert (ledger[0]["kind"], ledger[0]["delta_on_hand"]) == ("inbound", 3)
    assert ledger[0]["ref_id"] == f"ticket:{ticket_id}"
    assert _listed(client) == [] and _listed(client, status="resolved") == [ticket_id]
    again = _post(client, f"{url}/resolve", csrf, resolution="again")
    assert again.headers["location"].endswith("?error=ERR_TICKET_INVALID_TRANSITION")


def test_a_role_that_cannot_write_stock_gets_no_correction_fields_and_403_posting_one(
    client: TestClient, db: Database, clock: ManualClock
) -> None:
    shop, _ = _shortage(client, db, clock)
    url = f"/console/tickets/{_ticket_id(client, shop)}"
    csrf = log_in(client, console_user(db, shop.tenant_id, "service"))
    page = client.get(url).text
    assert 'id="resolve"' in page and 'class="correction"' not in page
    refused = _post(client, f"{url}/resolve", csrf, resolution="x", sku=SKU, qty="1")
    assert refused.status_code == 403 and "ERR_AUTH_FORBIDDEN" in refused.text
    assert 'data-ticket-status="open"' in client.get(url).text
    blank = _post(client, f"{url}/comments", csrf, body="   ")
    assert blank.headers["location"].endswith("?error=ERR_VALIDATION")
    resolved = _post(client, f"{url}/resolve", csrf, resolution="refunded the buyer")
    assert resolved.headers["location"].endswith("?done=resolved")


def test_roles_without_ticket_permissions_are_refused(
    client: TestClient, db: Database, clock: ManualClock
) -> None:
    shop, _ = _shortage(client, db, clock)
    url = f"/console/tickets/{_ticket_id(client, shop)}"
    csrf = log_in(client, console_user(db, shop.tenant_id, "finance"))
    assert _post(client, f"{url}/assign", csrf, assignee="me").status_code == 403
    client.cookies.clear()
    log_in(client, console_user(db, shop.tenant_id, "integration"))
    assert 'data-nav="tickets"' not in client.get("/console/orders").text
    assert client.get("/console/tickets").status_code == 403


def test_another_tenants_ticket_is_not_found(
    client: TestClient, db: Database, clock: ManualClock, tenant: TenantKeys
) -> None:
    shop, _ = _shortage(client, db, clock)
    log_in(client, console_user(db, tenant.tenant_id, "ops"))
    response = client.get(f"/console/tickets/{_ticket_id(client, shop)}")
    assert response.status_code == 404 and "ERR_TICKET_NOT_FOUND" in response.text


def test_the_ticket_and_stock_pages_speak_english_to_an_english_user(
    client: TestClient, db: Database, clock: ManualClock
) -> None:
    shop, order_id = _shortage(client, db, clock)
    clock.advance(timedelta(hours=1))
    log_in(client, console_user(db, shop.tenant_id, "ops", locale="en"))
    queue = client.get("/console/tickets").text
    assert "Exception tickets" in queue and "Stock shortage" in queue and "1 hour<" in queue
    assert "异常" not in queue
    stock = client.get(f"/console/stock/{SKU}").text
    assert "<th>Warehouse</th>" in stock and "Stock ledger" in stock and "Inbound" in stock
    order = client.get(f"/console/orders/{order_id}").text
    assert "Stock held" in order and 'data-short="1"' in order and ">Short 1<" in order
