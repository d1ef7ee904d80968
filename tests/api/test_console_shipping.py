"""The order page ships parcels (carrier, tracking number, units per line) and shows the plan."""

from __future__ import annotations

from fastapi.testclient import TestClient

from oms.core.uow import Database
from tests.fixtures.jobs import app_worker
from tests.fixtures.orders import post_order
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.users import console_user, log_in

LIST = "/console/orders"


def _paid_and_planned(client: TestClient, db: Database, tenant: TenantKeys) -> str:
    order = post_order(client, tenant)
    client.post(
        f"/api/v1/orders/{order['id']}/events", json={"event": "pay"}, headers=tenant.headers()
    )
    worker = app_worker(db)
    while worker.run_once():
        pass
    order_id: str = order["id"]
    return order_id


def test_the_order_page_ships_an_order_in_two_parcels(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    order_id = _paid_and_planned(client, db, tenant)
    csrf = log_in(client, console_user(db, tenant.tenant_id, "warehouse"))
    page = client.get(f"{LIST}/{order_id}").text
    assert 'id="ship-form"' in page and 'id="fulfilment-plan"' in page
    assert 'data-reason="follows_reservation"' in page and "按库存占用从 main 发货" in page
    url = f"{LIST}/{order_id}/shipments"
    first = {"csrf_token": csrf, "carrier": "shunfeng", "tracking_no": "SF500000001",
             "sku": ["TEA-LJ-250", "CUP-GLS-300"], "qty": ["2", "0"]}  # fmt: skip
    sent = client.post(url, data=first, follow_redirects=False)
    assert sent.headers["location"].endswith("?done=shipped_parcel")
    assert "包裹已登记" in client.get(sent.headers["location"]).text
    page = client.get(f"{LIST}/{order_id}").text
    assert 'data-status="partially_shipped"' in page
    assert 'max="0" value="0" data-sku="TEA-LJ-250"' in page  # what is left to ship
    second = first | {"carrier": "yunda", "tracking_no": "YD500000002", "qty": ["", "1"]}
    client.post(url, data=second, follow_redirects=False)
    page = client.get(f"{LIST}/{order_id}").text
    assert 'data-status="shipped"' in page and "YD500000002" in page
    assert 'id="ship-form"' not in page


def test_a_parcel_with_no_units_or_a_bad_tracking_number_is_refused_on_the_page(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    order_id = _paid_and_planned(client, db, tenant)
    csrf = log_in(client, console_user(db, tenant.tenant_id, "warehouse"))
    url = f"{LIST}/{order_id}/shipments"
    base = {"csrf_token": csrf, "carrier": "yunda", "tracking_no": "YD600000001",
            "sku": ["TEA-LJ-250", "CUP-GLS-300"], "qty": ["0", ""]}  # fmt: skip
    for body in (base, base | {"qty": ["1", "x"]}, base | {"qty": ["1", "0"], "tracking_no": "?"}):
        refused = client.post(url, data=body, follow_redirects=False)
        assert refused.headers["location"].endswith("?error=ERR_VALIDATION"), body
    service = console_user(db, tenant.tenant_id, "service")
    csrf = log_in(client, service)
    assert 'id="ship-form"' not in client.get(f"{LIST}/{order_id}").text
    forbidden = client.post(
        url, data=base | {"csrf_token": csrf, "qty": ["1", "0"]}, follow_redirects=False
    )
    assert forbidden.status_code == 403
