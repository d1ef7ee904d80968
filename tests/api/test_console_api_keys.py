"""The console's API keys page over HTTP: hints not keys, revoke, another tenant's key 404."""

from __future__ import annotations

from fastapi.testclient import TestClient

from oms.core.auth import create_api_key
from oms.core.uow import Database
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.users import console_user, log_in


def test_an_admin_sees_hints_and_revokes_a_key(
    client: TestClient, db: Database, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    csrf = log_in(client, console_user(db, tenant.tenant_id, "admin"))
    key = create_api_key(db, tenant_id=tenant.tenant_id, role="integration", name="erp sync")
    page = client.get("/console/api-keys")
    assert page.status_code == 200 and f'data-key-id="{key.key_id}"' in page.text
    assert "…" + key.api_key[-4:] in page.text
    assert all(secret not in page.text for secret in [key.api_key, *tenant.keys.values()])
    confirm = client.get("/console/api-keys", params={"confirm": key.key_id})
    assert 'data-action="confirm-revoke"' in confirm.text
    bearer = {"Authorization": f"Bearer {key.api_key}"}
    assert client.get("/api/v1/orders", headers=bearer).status_code == 200
    done = client.post(
        "/console/api-keys/revoke",
        data={"key_id": key.key_id, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert client.get("/api/v1/orders", headers=bearer).status_code == 401
    theirs = create_api_key(db, tenant_id=other_tenant.tenant_id, role="ops")
    refused = client.post(
        "/console/api-keys/revoke",
        data={"key_id": theirs.key_id, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert refused.status_code == 404
    other = {"Authorization": f"Bearer {theirs.api_key}"}
    assert client.get("/api/v1/orders", headers=other).status_code == 200


def test_other_roles_may_not_open_the_page(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    log_in(client, console_user(db, tenant.tenant_id, "ops"))
    assert client.get("/console/api-keys").status_code == 403
