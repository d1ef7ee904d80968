"""Partners (issue 17): a partner key provisions tenants, lists and suspends its own, and with
``OMS-Tenant`` acts on one of them with the role it chose, as a caller of its own."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from oms.cli import app as cli
from oms.config import get_settings
from oms.core import auth, partners
from oms.core.models import AuditEntry, InboxMessage, Partner
from oms.core.uow import Database
from tests.fixtures.channel_deliveries import SHOPIFY_SECRET, sample, shopify
from tests.fixtures.orders import order_payload
from tests.fixtures.tenants import STOCKED_SKUS, STOCKED_UNITS, TenantKeys, stock_up
from tests.fixtures.users import console_user, log_in

TENANTS = "/api/v1/tenants"
ORDERS = "/api/v1/orders"
MOVEMENTS = "/api/v1/stock/movements"


def _bearer(key: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", **extra}


def _partner(db: Database, name: str = "SyncBridge") -> str:
    return partners.create_partner(db, name=name).partner_key


def _provision(client: TestClient, partner_key: str, **body: Any) -> dict[str, Any]:
    """A new tenant of the partner's, stocked like every test tenant."""
    response = client.post(TENANTS, json={"name": "Tea House"} | body, headers=_bearer(partner_key))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    db: Database = client.app.state.db  # type: ignore[attr-defined]
    for sku in STOCKED_SKUS:
        stock_up(db, TenantKeys(created["tenant_id"], {}), sku, STOCKED_UNITS)
    return created


def _acting(partner_key: str, tenant_id: str, **extra: str) -> dict[str, str]:
    return _bearer(partner_key, **{"OMS-Tenant": tenant_id}, **extra)


def test_the_cli_creates_a_partner_and_prints_its_key_once(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMS_DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["partners", "create", "--name", "SyncBridge"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert set(printed) == {"partner_id", "partner_key"}
    with db.reader() as session:
        row = session.scalars(select(Partner)).one()
    assert row.id == printed["partner_id"] and row.name == "SyncBridge"
    # Only the key's hash is kept, like an API key's.
    assert row.key_hash == hashlib.sha256(printed["partner_key"].encode()).digest()
    assert printed["partner_key"] not in repr(vars(row))


def test_a_partner_provisions_a_tenant_and_gets_its_first_admin_key(
    client: TestClient, db: Database
) -> None:
    key = _partner(db)
    created = _provision(
        client,
        key,
        name="Tea House",
        timezone="Europe/Berlin",
        payment_timeout_seconds=600,
        locale="en",
    )
    assert set(created) == {"tenant_id", "api_key"}
    own = client.get("/api/v1/api-keys", headers=_bearer(created["api_key"]))
    assert own.status_code == 200
    assert [k["role"] for k in own.json()["items"]] == ["admin"]
    tenant = auth.get_tenant(db, created["tenant_id"])
    assert (tenant.timezone, tenant.payment_timeout_seconds, tenant.locale) == (
        "Europe/Berlin",
        600,
        "en",
    )
    bad = client.post(TENANTS, json={"name": "X", "locale": "fr"}, headers=_bearer(key))
    assert (bad.status_code, bad.json()["code"]) == (422, "ERR_VALIDATION")


def test_a_partner_lists_only_its_own_tenants_page_by_page(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    mine, theirs = _partner(db, "A"), _partner(db, "B")
    made = [_provision(client, mine, name=f"Shop {i}")["tenant_id"] for i in range(3)]
    _provision(client, theirs, name="Not yours")
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get(TENANTS, params=params, headers=_bearer(mine)).json()
        seen += [t["tenant_id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert seen == made  # oldest first; not B's tenant, not the server-made one
    first = client.get(TENANTS, headers=_bearer(mine)).json()["items"][0]
    assert (first["status"], first["role"], first["name"]) == ("active", "integration", "Shop 0")


def test_partner_routes_take_a_partner_key_only(client: TestClient, tenant: TenantKeys) -> None:
    refused = client.get(TENANTS, headers=tenant.headers())
    assert (refused.status_code, refused.json()["code"]) == (403, "ERR_PARTNER_KEY_REQUIRED")
    assert client.get(TENANTS).status_code == 401
    assert client.get(TENANTS, headers=_bearer("omsp_not-a-key")).status_code == 401


def test_with_oms_tenant_a_partner_acts_on_its_tenant_and_nowhere_else(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    key = _partner(db)
    other_partner = _partner(db, "Other")
    mine = _provision(client, key)["tenant_id"]
    foreign = _provision(client, other_partner)["tenant_id"]
    placed = client.post(ORDERS, json=order_payload(), headers=_acting(key, mine))
    assert placed.status_code == 201, placed.text
    listed = client.get(ORDERS, headers=_acting(key, mine)).json()["items"]
    assert [o["id"] for o in listed] == [placed.json()["id"]]
    for elsewhere in (foreign, tenant.tenant_id, "no-such-tenant"):
        answer = client.get(ORDERS, headers=_acting(key, elsewhere))
        assert (answer.status_code, answer.json()["code"]) == (404, "ERR_NOT_FOUND")
    bare = client.get(ORDERS, headers=_bearer(key))
    assert (bare.status_code, bare.json()["code"]) == (403, "ERR_PARTNER_TENANT_REQUIRED")
    # A tenant's own key may name only its own tenant.
    assert client.get(ORDERS, headers=tenant.headers(**{"OMS-Tenant": mine})).status_code == 404
    assert (
        client.get(ORDERS, headers=tenant.headers(**{"OMS-Tenant": tenant.tenant_id})).status_code
        == 200
    )


def test_the_partner_acts_with_the_role_it_chose_for_each_tenant(
    client: TestClient, db: Database
) -> None:
    key = _partner(db)
    integration = _provision(client, key)["tenant_id"]
    warehouse = _provision(client, key, role="warehouse")["tenant_id"]
    movement = {"sku": "TEA-LJ-250", "kind": "inbound", "qty": 5}
    assert client.post(MOVEMENTS, json=movement, headers=_acting(key, integration)).status_code == (
        403
    )
    assert client.post(MOVEMENTS, json=movement, headers=_acting(key, warehouse)).status_code in (
        200,
        201,
    )
    assert client.post(
        ORDERS, json=order_payload(), headers=_acting(key, warehouse)
    ).status_code == (403)
    changed = client.patch(f"{TENANTS}/{integration}", json={"role": "ops"}, headers=_bearer(key))
    assert (changed.status_code, changed.json()["role"]) == (200, "ops")
    assert client.post(MOVEMENTS, json=movement, headers=_acting(key, integration)).status_code in (
        200,
        201,
    )


def test_every_audit_entry_of_a_partner_names_the_partner_and_the_tenant(
    client: TestClient, db: Database
) -> None:
    created = partners.create_partner(db, name="SyncBridge")
    tenant_id = _provision(client, created.partner_key)["tenant_id"]
    order = client.post(
        ORDERS, json=order_payload(), headers=_acting(created.partner_key, tenant_id)
    )
    assert order.status_code == 201
    client.patch(
        f"{TENANTS}/{tenant_id}", json={"status": "suspended"}, headers=_bearer(created.partner_key)
    )
    with db.reader() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.tenant_id == tenant_id)).all()
    by_event = {(e.aggregate_type, e.event): e for e in entries}
    assert {("tenant", "provision"), ("order", "create"), ("tenant", "update")} <= set(by_event)
    assert {e.actor for e in entries} == {f"partner:{created.partner_id}"}
    assert by_event[("order", "create")].aggregate_id == order.json()["id"]


def test_a_partner_on_a_tenant_is_a_caller_of_its_own_for_idempotency(
    client: TestClient, db: Database
) -> None:
    key = _partner(db)
    made = _provision(client, key)
    x, x_admin = made["tenant_id"], made["api_key"]
    y = _provision(client, key, name="Shop Y")["tenant_id"]
    same = {"Idempotency-Key": "sync-1"}
    first = client.post(ORDERS, json=order_payload(), headers=_acting(key, x, **same))
    own_key = client.post(ORDERS, json=order_payload(), headers=_bearer(x_admin, **same))
    on_y = client.post(ORDERS, json=order_payload(), headers=_acting(key, y, **same))
    replay = client.post(ORDERS, json=order_payload(), headers=_acting(key, x, **same))
    assert [r.status_code for r in (first, own_key, on_y)] == [201, 201, 201]
    assert len({first.json()["id"], own_key.json()["id"], on_y.json()["id"]}) == 3
    assert (
        "idempotent-replayed" not in own_key.headers and "idempotent-replayed" not in on_y.headers
    )
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]


def test_a_suspended_tenant_is_refused_but_its_deliveries_are_stored(
    client: TestClient, db: Database
) -> None:
    key = _partner(db)
    made = _provision(client, key)
    tenant_id, admin = made["tenant_id"], made["api_key"]
    put = client.put(
        "/api/v1/channels/shopify", json={"secret": SHOPIFY_SECRET}, headers=_bearer(admin)
    )
    assert put.status_code == 200, put.text
    suspended = client.patch(
        f"{TENANTS}/{tenant_id}", json={"status": "suspended"}, headers=_bearer(key)
    )
    assert suspended.status_code == 200
    assert suspended.json()["status"] == "suspended" and suspended.json()["suspended_at"]
    for headers in (_bearer(admin), _acting(key, tenant_id)):
        refused = client.get(ORDERS, headers=headers)
        assert (refused.status_code, refused.json()["code"]) == (403, "ERR_TENANT_SUSPENDED")
    refused_post = client.post(
        ORDERS, json=order_payload(), headers=_bearer(admin, **{"Idempotency-Key": "s-1"})
    )
    assert refused_post.json()["code"] == "ERR_TENANT_SUSPENDED"
    headers, body = shopify(sample("shopify_orders_create.json"), webhook_id="w-susp")
    delivered = client.post(
        f"/api/v1/channels/shopify/webhooks/{tenant_id}", content=body, headers=headers
    )
    assert delivered.status_code == 200, delivered.text
    with db.reader() as session:
        stored = session.scalars(
            select(InboxMessage).where(InboxMessage.tenant_id == tenant_id)
        ).all()
    assert [m.message_id for m in stored] == ["w-susp"]
    again = client.patch(
        f"{TENANTS}/{tenant_id}", json={"status": "suspended"}, headers=_bearer(key)
    )
    assert again.status_code == 200  # suspending twice changes nothing
    resumed = client.patch(
        f"{TENANTS}/{tenant_id}", json={"status": "active"}, headers=_bearer(key)
    )
    assert resumed.json()["status"] == "active"
    orders = client.get(ORDERS, headers=_bearer(admin))
    assert orders.status_code == 200 and len(orders.json()["items"]) == 1


def test_a_partner_cannot_touch_another_partners_tenant(client: TestClient, db: Database) -> None:
    mine, theirs = _partner(db, "A"), _partner(db, "B")
    foreign = _provision(client, theirs)["tenant_id"]
    answer = client.patch(
        f"{TENANTS}/{foreign}", json={"status": "suspended"}, headers=_bearer(mine)
    )
    assert (answer.status_code, answer.json()["code"]) == (404, "ERR_NOT_FOUND")
    assert auth.get_tenant(db, foreign).status == "active"


def test_a_suspended_tenants_console_users_see_a_403_page(client: TestClient, db: Database) -> None:
    key = _partner(db)
    tenant_id = _provision(client, key)["tenant_id"]
    log_in(client, console_user(db, tenant_id, "ops"))
    assert client.get("/console/orders").status_code == 200
    client.patch(f"{TENANTS}/{tenant_id}", json={"status": "suspended"}, headers=_bearer(key))
    page = client.get("/console/orders")
    assert page.status_code == 403 and "ERR_TENANT_SUSPENDED" in page.text


def test_the_openapi_document_declares_oms_tenant_and_its_404(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for operation in (paths["/api/v1/orders"]["get"], paths["/api/v1/orders/batch"]["post"]):
        assert "OMS-Tenant" in {p["name"] for p in operation["parameters"]}
        assert "404" in operation["responses"]
    for operation in (paths[TENANTS]["get"], paths[TENANTS]["post"]):
        assert "OMS-Tenant" not in {p["name"] for p in operation.get("parameters", [])}
        assert operation["security"] == [{"apiKey": []}]
