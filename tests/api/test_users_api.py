"""User admin over HTTP: invite (password shown once), change role, disable (sessions end,
sign-in refused with its own code), enable; bad input is a 422, another tenant's user a 404."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from oms.core.uow import Database
from tests.fixtures.tenants import TenantKeys
from tests.fixtures.users import ConsoleUser, console_user, log_in, submit_login

USERS = "/api/v1/users"


def _invite(client: TestClient, tenant: TenantKeys, email: str, role: str = "service") -> dict:
    response = client.post(USERS, json={"email": email, "role": role}, headers=tenant.headers())
    assert response.status_code == 201, response.text
    body: dict = response.json()
    return body


def test_an_invited_user_signs_in_with_the_password_shown_once(
    client: TestClient, tenant: TenantKeys
) -> None:
    invited = _invite(client, tenant, "New.Hire@Shop.Example")
    assert invited["email"] == "new.hire@shop.example" and invited["role"] == "service"
    assert len(invited["password"]) >= 12 and invited["disabled_at"] is None
    listed = client.get(USERS, headers=tenant.headers()).json()
    assert [u["email"] for u in listed["items"]] == ["new.hire@shop.example"]
    assert "password" not in listed["items"][0]
    login = submit_login(client, "new.hire@shop.example", invited["password"])
    assert login.status_code == 303


def test_a_role_change_applies_to_the_users_open_session(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    worker = console_user(db, tenant.tenant_id, "warehouse")
    log_in(client, worker)
    assert client.get("/console/finance").status_code == 403
    changed = client.patch(
        f"{USERS}/{worker.id}", json={"role": "finance"}, headers=tenant.headers()
    )
    assert changed.status_code == 200 and changed.json()["role"] == "finance"
    assert client.get("/console/finance").status_code == 200


def test_disabling_ends_every_session_and_sign_in_says_the_account_is_disabled(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    ops = console_user(db, tenant.tenant_id, "ops")
    log_in(client, ops)
    disabled = client.post(f"{USERS}/{ops.id}/disable", headers=tenant.headers())
    assert disabled.status_code == 200 and disabled.json()["disabled_at"] is not None
    page = client.get("/console/orders", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/console/login")
    refused = submit_login(client, ops.email, ops.password)
    assert refused.status_code == 403 and 'data-code="ERR_AUTH_USER_DISABLED"' in refused.text
    wrong = submit_login(client, ops.email, "not the password")
    assert wrong.status_code == 401  # a guesser learns nothing about the account
    enabled = client.post(f"{USERS}/{ops.id}/enable", headers=tenant.headers())
    assert enabled.status_code == 200 and enabled.json()["disabled_at"] is None
    assert submit_login(client, ops.email, ops.password).status_code == 303


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-address", "role": "ops"},
        {"email": "a@shop.example", "role": "owner"},
        {"email": "a@shop.example", "role": "integration"},
        {"email": "a@shop.example", "role": "ops", "locale": "fr"},
        {"email": "a@shop.example", "role": "ops", "password": "chosen"},
        {"role": "ops"},
    ],
)
def test_bad_invitations_are_validation_problems(
    client: TestClient, tenant: TenantKeys, body: dict
) -> None:
    response = client.post(USERS, json=body, headers=tenant.headers())
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "ERR_VALIDATION"
    assert client.get(USERS, headers=tenant.headers()).json()["items"] == []


def test_an_address_in_use_anywhere_is_refused(
    client: TestClient, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    _invite(client, other_tenant, "shared@shop.example")
    response = client.post(
        USERS, json={"email": "SHARED@shop.example", "role": "ops"}, headers=tenant.headers()
    )
    assert response.status_code == 409 and response.json()["code"] == "ERR_USER_EMAIL_TAKEN"


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [("patch", "", {"role": "ops"}), ("post", "/disable", None), ("post", "/enable", None)],
)
def test_another_tenants_user_is_not_found(
    client: TestClient,
    db: Database,
    tenant: TenantKeys,
    other_tenant: TenantKeys,
    method: str,
    suffix: str,
    body: dict | None,
) -> None:
    theirs = console_user(db, other_tenant.tenant_id, "ops")
    response = client.request(
        method, f"{USERS}/{theirs.id}{suffix}", json=body, headers=tenant.headers()
    )
    assert response.status_code == 404 and response.json()["code"] == "ERR_USER_NOT_FOUND"
    assert submit_login(client, theirs.email, theirs.password).status_code == 303


def test_only_admins_manage_users(client: TestClient, tenant: TenantKeys) -> None:
    ops_key = client.post(
        "/api/v1/api-keys", json={"role": "ops", "name": "ops"}, headers=tenant.headers()
    ).json()["api_key"]
    response = client.get(USERS, headers={"Authorization": f"Bearer {ops_key}"})
    assert response.status_code == 403 and response.json()["code"] == "ERR_AUTH_FORBIDDEN"


def test_the_last_enabled_admin_stays_an_admin(
    client: TestClient, db: Database, tenant: TenantKeys
) -> None:
    only: ConsoleUser = console_user(db, tenant.tenant_id, "admin")
    for method, suffix, body in (("patch", "", {"role": "ops"}), ("post", "/disable", None)):
        response = client.request(
            method, f"{USERS}/{only.id}{suffix}", json=body, headers=tenant.headers()
        )
        assert response.status_code == 409 and response.json()["code"] == "ERR_USER_LAST_ADMIN"
    second = console_user(db, tenant.tenant_id, "admin", email="second@shop.example")
    demoted = client.patch(f"{USERS}/{only.id}", json={"role": "ops"}, headers=tenant.headers())
    assert demoted.status_code == 200 and demoted.json()["role"] == "ops"
    assert second.role == "admin"
