"""Partner provisioning (issue 17): a retried POST /api/v1/tenants makes no second tenant and
never shows a key twice; new keys come only from the rotation routes."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from oms.cli import app as cli
from oms.config import get_settings
from oms.core import partners
from oms.core.models import AuditEntry, Tenant
from oms.core.uow import Database

TENANTS = "/api/v1/tenants"
ORDERS = "/api/v1/orders"


def _bearer(key: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", **extra}


def _count_tenants(db: Database) -> int:
    with db.reader() as session:
        return int(session.scalar(select(func.count()).select_from(Tenant)) or 0)


@pytest.mark.parametrize(
    ("body", "extra"),
    [
        ({"name": "Tea House", "external_ref": "shopify-store-42"}, {}),
        ({"name": "Tea House"}, {"Idempotency-Key": "provision-42"}),
    ],
    ids=["external_ref", "idempotency_key"],
)
def test_a_retried_provisioning_makes_no_second_tenant_and_shows_no_key(
    client: TestClient, db: Database, body: dict[str, str], extra: dict[str, str]
) -> None:
    key = partners.create_partner(db, name="SyncBridge").partner_key
    first = client.post(TENANTS, json=body, headers=_bearer(key, **extra))
    assert first.status_code == 201, first.text
    before = _count_tenants(db)
    retry = client.post(TENANTS, json=body, headers=_bearer(key, **extra))
    assert retry.status_code == 409
    problem = retry.json()
    assert problem["code"] == "ERR_TENANT_ALREADY_PROVISIONED"
    assert problem["details"]["tenant_id"] == first.json()["tenant_id"]
    assert first.json()["api_key"] not in retry.text
    assert _count_tenants(db) == before
    # The same reference is another partner's own business.
    other = partners.create_partner(db, name="Other").partner_key
    assert client.post(TENANTS, json=body, headers=_bearer(other, **extra)).status_code == 201


def test_the_external_ref_is_listed_and_tenants_without_one_are_many(
    client: TestClient, db: Database
) -> None:
    key = partners.create_partner(db, name="SyncBridge").partner_key
    for _ in range(2):
        assert (
            client.post(TENANTS, json={"name": "No ref"}, headers=_bearer(key)).status_code == 201
        )
    client.post(TENANTS, json={"name": "Ref", "external_ref": "m-1"}, headers=_bearer(key))
    refs = [t["external_ref"] for t in client.get(TENANTS, headers=_bearer(key)).json()["items"]]
    assert refs == [None, None, "m-1"]
    blank = client.post(TENANTS, json={"name": "X", "external_ref": ""}, headers=_bearer(key))
    assert (blank.status_code, blank.json()["code"]) == (422, "ERR_VALIDATION")


def test_rotating_a_tenants_admin_key_revokes_the_partners_old_one_only(
    client: TestClient, db: Database
) -> None:
    created = partners.create_partner(db, name="SyncBridge")
    made = client.post(TENANTS, json={"name": "Tea House"}, headers=_bearer(created.partner_key))
    tenant_id, first_key = made.json()["tenant_id"], made.json()["api_key"]
    own = client.post(
        "/api/v1/api-keys", json={"role": "admin", "name": "shop's own"}, headers=_bearer(first_key)
    )
    assert own.status_code == 201, own.text
    rotated = client.post(f"{TENANTS}/{tenant_id}/admin-key", headers=_bearer(created.partner_key))
    assert rotated.status_code == 201
    new_key = rotated.json()["api_key"]
    assert rotated.json()["tenant_id"] == tenant_id and new_key != first_key
    assert client.get(ORDERS, headers=_bearer(first_key)).status_code == 401
    assert client.get(ORDERS, headers=_bearer(new_key)).status_code == 200
    assert client.get(ORDERS, headers=_bearer(own.json()["api_key"])).status_code == 200
    with db.reader() as session:
        entry = session.scalars(
            select(AuditEntry).where(
                AuditEntry.tenant_id == tenant_id, AuditEntry.event == "rotate"
            )
        ).one()
    assert entry.actor == f"partner:{created.partner_id}"
    other = partners.create_partner(db, name="Other").partner_key
    foreign = client.post(f"{TENANTS}/{tenant_id}/admin-key", headers=_bearer(other))
    assert (foreign.status_code, foreign.json()["code"]) == (404, "ERR_NOT_FOUND")


def test_a_partner_rotates_its_own_key_and_the_old_one_stops_working(
    client: TestClient, db: Database
) -> None:
    created = partners.create_partner(db, name="SyncBridge")
    made = client.post(TENANTS, json={"name": "Tea House"}, headers=_bearer(created.partner_key))
    tenant_id = made.json()["tenant_id"]
    rotated = client.post("/api/v1/partner/key", headers=_bearer(created.partner_key))
    assert rotated.status_code == 201
    new_key = rotated.json()["partner_key"]
    assert rotated.json()["partner_id"] == created.partner_id
    assert new_key.startswith("omsp_") and new_key != created.partner_key
    assert client.get(TENANTS, headers=_bearer(created.partner_key)).status_code == 401
    assert client.get(TENANTS, headers=_bearer(new_key)).status_code == 200
    acting = _bearer(new_key, **{"OMS-Tenant": tenant_id})
    assert client.get(ORDERS, headers=acting).status_code == 200


def test_the_cli_rotates_a_lost_partner_key(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    created = partners.create_partner(db, name="SyncBridge")
    monkeypatch.setenv("OMS_DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        result = runner.invoke(cli, ["partners", "rotate-key", "--partner", created.partner_id])
        missing = runner.invoke(cli, ["partners", "rotate-key", "--partner", "nope"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed["partner_id"] == created.partner_id
    assert printed["partner_key"] != created.partner_key
    assert missing.exit_code == 2 and "ERR_NOT_FOUND" in missing.output
