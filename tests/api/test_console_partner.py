"""The partner's console page: the partner key in the form, its shops with the lagging ones
flagged; a wrong key or a shop's key is refused on the form, and the key is never kept."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from oms.core import partners
from oms.core.clock import ManualClock
from oms.core.uow import Database
from tests.fixtures.channel_deliveries import SHOPIFY_SECRET, sample, shopify
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.users import csrf_of

PAGE = "/console/partner"


def _shop(client: TestClient, key: str, name: str) -> str:
    made = client.post(
        "/api/v1/tenants", json={"name": name}, headers={"Authorization": f"Bearer {key}"}
    ).json()
    client.put(
        "/api/v1/channels/shopify",
        json={"secret": SHOPIFY_SECRET},
        headers={"Authorization": f"Bearer {made['api_key']}"},
    )
    headers, body = shopify(sample("shopify_orders_create.json"), webhook_id=f"w-{name}")
    delivered = client.post(
        f"/api/v1/channels/shopify/webhooks/{made['tenant_id']}", content=body, headers=headers
    )
    assert delivered.status_code == 200, delivered.text
    return str(made["tenant_id"])


def test_a_partner_sees_its_lagging_shop_flagged(
    client: TestClient, db: Database, clock: ManualClock
) -> None:
    key = partners.create_partner(db, name="SyncBridge").partner_key
    slow = _shop(client, key, "Slow Tea")
    clock.advance(timedelta(hours=3))
    fast = _shop(client, key, "Fast Tea")
    form = client.get(PAGE)
    assert form.status_code == 200 and 'name="partner_key"' in form.text
    shown = client.post(PAGE, data={"partner_key": key, "csrf_token": csrf_of(form.text)})
    assert shown.status_code == 200, shown.text
    html = shown.text
    assert f'data-tenant-id="{slow}" class="lagging" data-lagging="true"' in html
    assert f'data-tenant-id="{fast}">' in html
    assert 'data-lagging="1"' in html
    assert key not in html  # never echoed back


def test_a_wrong_key_or_a_shops_key_is_refused_on_the_form(
    client: TestClient, tenant: TenantKeys
) -> None:
    token = csrf_of(client.get(PAGE).text)
    unknown = client.post(PAGE, data={"partner_key": "omsp_nope", "csrf_token": token})
    assert unknown.status_code == 401 and 'data-code="ERR_AUTH_REQUIRED"' in unknown.text
    shop_key = client.post(PAGE, data={"partner_key": tenant.keys["admin"], "csrf_token": token})
    assert shop_key.status_code == 403
    assert 'data-code="ERR_PARTNER_KEY_REQUIRED"' in shop_key.text
    assert tenant.keys["admin"] not in shop_key.text
    forged = client.post(PAGE, data={"partner_key": "omsp_nope", "csrf_token": "forged"})
    assert 'data-code="ERR_AUTH_CSRF_FAILED"' in forged.text
