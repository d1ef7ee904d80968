"""An Idempotency-Key belongs to its caller: nobody replays another caller's answer.

The attacks of issue 9: a warehouse key sending an admin's key and body to the key-issuing
endpoint, an integration key doing the same to an ops webhook subscription (whose answer
holds the signing secret). Both must get 403 from the permission check, never the answer.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from oms.core.auth import authenticate_api_key
from oms.core.models import IdempotencyRecord
from oms.core.uow import Database
from tests.fixtures.orders import order_payload
from tests.fixtures.tenants import TenantKeys

API_KEYS = "/api/v1/api-keys"
SUBSCRIPTIONS = "/api/v1/webhooks/subscriptions"
# A public address literal: accepted by the SSRF guard without any DNS lookup.
HOOK = {"url": "https://93.184.216.34/hooks/oms", "event_types": ["order.created"]}


def _stored_bodies(db: Database) -> list[bytes]:
    with db.reader() as session:
        return [r.response_body or b"" for r in session.scalars(select(IdempotencyRecord))]


def test_a_warehouse_key_cannot_replay_the_admins_new_api_key(
    client: TestClient, tenant: TenantKeys
) -> None:
    body = {"role": "admin", "name": "ci deploys"}
    admin = client.post(API_KEYS, json=body, headers=tenant.headers(**{"Idempotency-Key": "k1"}))
    assert admin.status_code == 201
    stolen = client.post(
        API_KEYS, json=body, headers=tenant.headers("warehouse", **{"Idempotency-Key": "k1"})
    )
    assert stolen.status_code == 403
    assert stolen.json()["code"] == "ERR_AUTH_FORBIDDEN"
    assert admin.json()["api_key"] not in stolen.text
    assert "idempotent-replayed" not in stolen.headers


def test_an_integration_key_cannot_replay_an_ops_webhook_secret(
    client: TestClient, tenant: TenantKeys
) -> None:
    ops = client.post(
        SUBSCRIPTIONS, json=HOOK, headers=tenant.headers("ops", **{"Idempotency-Key": "w1"})
    )
    assert ops.status_code == 201, ops.text
    secret = ops.json()["secret"]
    stolen = client.post(
        SUBSCRIPTIONS, json=HOOK, headers=tenant.headers("integration", **{"Idempotency-Key": "w1"})
    )
    assert stolen.status_code == 403
    assert stolen.json()["code"] == "ERR_AUTH_FORBIDDEN"
    assert secret not in stolen.text


def test_the_same_caller_still_gets_its_answer_replayed(
    client: TestClient, tenant: TenantKeys
) -> None:
    headers = tenant.headers(**{"Idempotency-Key": "k2"})
    first = client.post(API_KEYS, json={"role": "ops"}, headers=headers)
    again = client.post(API_KEYS, json={"role": "ops"}, headers=headers)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()


def test_two_callers_of_one_tenant_have_separate_keys(
    client: TestClient, tenant: TenantKeys
) -> None:
    mine = client.post(
        "/api/v1/orders", json=order_payload(), headers=tenant.headers(**{"Idempotency-Key": "o1"})
    )
    theirs = client.post(
        "/api/v1/orders",
        json=order_payload(),
        headers=tenant.headers("ops", **{"Idempotency-Key": "o1"}),
    )
    assert theirs.status_code == 201 and "idempotent-replayed" not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]


def test_stored_answers_hold_no_secret_in_plain_text(
    client: TestClient, tenant: TenantKeys, db: Database
) -> None:
    key = client.post(
        API_KEYS, json={"role": "finance"}, headers=tenant.headers(**{"Idempotency-Key": "s1"})
    ).json()["api_key"]
    secret = client.post(
        SUBSCRIPTIONS, json=HOOK, headers=tenant.headers("ops", **{"Idempotency-Key": "s2"})
    ).json()["secret"]
    bodies = _stored_bodies(db)
    assert len(bodies) == 2 and all(bodies)
    for stored in bodies:
        assert key.encode() not in stored and secret.encode() not in stored
        assert b"api_key" not in stored and b"secret" not in stored  # sealed, not just masked


def test_a_replay_is_refused_when_the_caller_lacks_a_permission_checked_first(
    client: TestClient, tenant: TenantKeys, db: Database
) -> None:
    """The permissions stored with an answer are checked again before it is replayed."""
    headers = tenant.headers("ops", **{"Idempotency-Key": "w2"})
    first = client.post(SUBSCRIPTIONS, json=HOOK, headers=headers)
    assert first.status_code == 201
    ops = authenticate_api_key(db, tenant.keys["ops"])
    with db.uow() as uow:
        record = uow.session.scalars(
            select(IdempotencyRecord).where(IdempotencyRecord.principal == ops.principal)
        ).one()
        assert record.permissions == ["webhooks:manage"]
        # As if the route had also required a permission ops does not hold.
        record.permissions = ["keys:manage", "webhooks:manage"]
        uow.commit()
    again = client.post(SUBSCRIPTIONS, json=HOOK, headers=headers)
    assert again.status_code == 403 and again.json()["code"] == "ERR_AUTH_FORBIDDEN"
    assert first.json()["secret"] not in again.text
